// The customer panel: protocol number, who the customer is, what the bot or IVR collected,
// what the CRM answered, and their earlier contacts on every channel.

import { api, formatDateTime, h, t } from "./desk.js";

const cache = new Map();

function keyValues(entries) {
  const rows = entries.filter(([, value]) => value !== null && value !== undefined && value !== "");
  if (rows.length === 0) return null;
  return h("dl", { class: "kv" }, ...rows.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, display(value))]));
}

function display(value) {
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function label(key) {
  const text = t(`collected.${key}`);
  return text === `collected.${key}` ? key : text;
}

function section(title, ...children) {
  return h("section", { class: "panel-section" }, h("h3", {}, title), ...children);
}

// A call in the history: its direction, then how it went (and for how long, when answered).
function callSummary(entry) {
  const outcome = t(`customer.call_${entry.outcome}`);
  const minutes = Math.floor((entry.duration_seconds ?? 0) / 60);
  const seconds = String((entry.duration_seconds ?? 0) % 60).padStart(2, "0");
  const talked = entry.duration_seconds == null ? "" : ` · ${minutes}:${seconds}`;
  return `${t(`customer.call_${entry.direction}`)} · ${outcome}${talked}`;
}

function render(container, data) {
  const contact = data.contact || {};
  const collected = Object.entries(data.collected || {}).map(([key, value]) => [
    label(key),
    key === "motivo" ? t(`motivo.${value}`) : value,
  ]);
  const crm = data.crm ? Object.entries(data.crm).map(([key, value]) => [label(key), value]) : [];
  container.replaceChildren(
    section(
      t("customer.protocol"),
      h("div", { class: "protocol", id: "protocol" }, data.protocol || "–"),
    ),
    section(
      t("customer.contact"),
      keyValues([
        [t("customer.name"), contact.name],
        [t("customer.phone"), contact.phone],
        [t("customer.email"), contact.email],
      ]) || h("p", { class: "muted small" }, t("customer.unknown")),
    ),
    section(t("customer.collected"), keyValues(collected) || h("p", { class: "muted small" }, t("customer.nothing_collected"))),
    section(t("customer.crm"), keyValues(crm) || h("p", { class: "muted small" }, t("customer.no_crm"))),
    section(
      t("customer.history"),
      data.history?.length
        ? h(
            "ul",
            { class: "history" },
            ...data.history.map((entry) =>
              h(
                "li",
                {},
                h("div", {}, h("span", { class: `badge ${entry.channel}` }, t(`channel.${entry.channel}`)), " ", entry.disposition || ""),
                h("div", { class: "when" }, `${formatDateTime(entry.opened_at)} · ${entry.protocol || ""}`),
                entry.call_sid ? h("div", {}, callSummary(entry)) : null,
                entry.summary ? h("div", {}, entry.summary) : null,
              ),
            ),
          )
        : h("p", { class: "muted small" }, t("customer.no_history")),
    ),
  );
}

export async function renderCustomer(container, item) {
  if (!item) {
    container.replaceChildren(h("p", { class: "muted small" }, t("customer.none")));
    return;
  }
  container.dataset.task = item.task_sid;
  if (cache.has(item.task_sid)) {
    render(container, cache.get(item.task_sid));
    return;
  }
  render(container, { protocol: item.protocol, contact: item.customer, collected: {}, history: [] });
  try {
    const data = await api("GET", `/api/desk/tasks/${item.task_sid}/customer`);
    cache.set(item.task_sid, data);
    if (container.dataset.task === item.task_sid) render(container, data);
  } catch {
    // The panel keeps what the task itself told us; the rest of the desk goes on working.
  }
}
