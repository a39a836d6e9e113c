// A WhatsApp template's body as the customer will read it. Each {{n}} shows the value typed for
// it or, until one is, the variable's name (marked), so nobody reads a raw "{{1}}" on screen.

import { h, t } from "./desk.js";

const PLACEHOLDER = /\{\{\s*(\d+)\s*\}\}/g;

export function templateText(body, variables = [], values = []) {
  const parts = [];
  let last = 0;
  for (const match of body.matchAll(PLACEHOLDER)) {
    const index = Number(match[1]) - 1;
    const value = (values[index] || "").trim();
    const name = variables[index] || t("template.parameter", { n: index + 1 });
    parts.push(body.slice(last, match.index), value || h("mark", { class: "template-variable" }, name));
    last = match.index + match[0].length;
  }
  parts.push(body.slice(last));
  return parts;
}
