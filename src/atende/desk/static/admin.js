// Administration: people and their skills, queues, workflows (validated as you type, with a
// dry run), wrap-up codes, ready-made replies, message templates, channels and business hours.
// One section at a time, chosen by the address's #fragment so each has a link of its own.

import { api, byId, formatDateTime, h, reportError, t, toast } from "./desk.js";
import { templateText } from "./template_text.js";

const root = byId("admin-section");
const sections = {};

function card(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

function field(id, labelText, input, hint) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, labelText), input, hint ? h("span", { class: "hint" }, hint) : null);
}

function table(headers, rows, emptyText) {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "data" },
      h("thead", {}, h("tr", {}, ...headers.map((header) => h("th", { scope: "col" }, header)))),
      h("tbody", {}, ...(rows.length ? rows : [h("tr", {}, h("td", { colspan: headers.length, class: "empty" }, emptyText || t("common.none")))])),
    ),
  );
}

function splitList(value) {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

function unavailable(error) {
  if (error.status === 404 || error.status === 501) {
    return card(t("admin.unavailable_title"), h("p", { class: "muted" }, t("admin.unavailable")));
  }
  throw error;
}

// ---------- users ----------

sections.users = async () => {
  let data;
  try {
    data = await api("GET", "/api/desk/admin/users");
  } catch (error) {
    return [unavailable(error)];
  }
  const rows = data.users.map((user) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, user.display_name, h("div", { class: "muted small" }, user.email)),
      h("td", {}, t(`role.${user.role}`)),
      h("td", {}, user.team || "–"),
      h("td", {}, h("div", { class: "chips" }, ...(user.skills || []).map((skill) => h("span", { class: "badge" }, skill)))),
      h("td", {}, (user.languages || []).join(", ") || "–"),
      h("td", {}, user.active ? h("span", { class: "badge ok" }, t("common.active")) : h("span", { class: "badge" }, t("common.inactive"))),
      h("td", {}, h("button", { type: "button", class: "button small", onclick: () => editUser(user, data) }, t("common.edit"))),
    ),
  );
  return [
    card(t("admin.users"), table([t("user.name"), t("user.role"), t("user.team"), t("user.skills"), t("user.languages"), t("user.status"), ""], rows)),
    userForm(null, data),
  ];
};

function userForm(user, data) {
  const email = h("input", { type: "email", required: true, value: user?.email || "", disabled: Boolean(user), autocomplete: "off" });
  const name = h("input", { type: "text", value: user?.display_name || "" });
  const role = h("select", {}, ...["agent", "supervisor", "admin"].map((value) => h("option", { value, selected: value === (user?.role || "agent") }, t(`role.${value}`))));
  const password = h("input", { type: "password", autocomplete: "new-password", minlength: 10 });
  const team = h("input", { type: "text", value: user?.team || "", list: "teams" });
  const skills = h("input", { type: "text", value: (user?.skills || []).join(", ") });
  const languages = h("input", { type: "text", value: (user?.languages || ["pt"]).join(", ") });
  const active = h("input", { type: "checkbox", checked: user ? user.active : true });
  const error = h("p", { class: "alert alert-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "stack", id: user ? "user-edit" : "user-create" },
    h(
      "div",
      { class: "form-grid" },
      field("user-email", t("user.email"), email),
      field("user-name", t("user.name"), name),
      field("user-role", t("user.role"), role),
      field("user-password", user ? t("user.new_password") : t("user.password"), password, t("user.password_hint")),
      field("user-team", t("user.team"), team),
      field("user-skills", t("user.skills"), skills, t("user.skills_hint", { skills: (data.known_skills || []).join(", ") })),
      field("user-languages", t("user.languages"), languages, t("user.languages_hint")),
    ),
    user ? h("label", { class: "row" }, active, t("user.active")) : null,
    h("datalist", { id: "teams" }, ...(data.known_teams || []).map((value) => h("option", { value }))),
    error,
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, user ? t("common.save") : t("user.create"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = {
      display_name: name.value,
      role: role.value,
      team: team.value || null,
      skills: splitList(skills.value),
      languages: splitList(languages.value),
    };
    if (password.value) body.password = password.value;
    try {
      if (user) {
        body.active = active.checked;
        await api("PATCH", `/api/desk/admin/users/${user.id}`, body);
      } else {
        body.email = email.value;
        await api("POST", "/api/desk/admin/users", body);
      }
      toast(t("common.saved"));
      show("users");
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  return card(user ? t("user.edit", { name: user.display_name }) : t("user.new"), form);
}

function editUser(user, data) {
  root.replaceChildren(userForm(user, data), h("p", {}, h("a", { href: "#users", onclick: () => show("users") }, `← ${t("common.back")}`)));
  root.querySelector("input:not([disabled])")?.focus();
}

// ---------- queues ----------

function expressionInput(initial, id) {
  const input = h("input", { type: "text", value: initial, class: "mono", spellcheck: false, "aria-describedby": `${id}-check` });
  const verdict = h("div", { id: `${id}-check`, class: "validation", "aria-live": "polite" });
  const check = debounce(async () => {
    try {
      const result = await api("POST", "/api/desk/admin/expressions/check", { expression: input.value });
      input.setAttribute("aria-invalid", String(!result.valid));
      verdict.className = `validation ${result.valid ? "ok" : "error"}`;
      verdict.textContent = result.valid ? t("workflow.expression_ok") : t("workflow.expression_error", { position: result.position, error: result.error });
    } catch (error) {
      reportError(error);
    }
  }, 250);
  input.addEventListener("input", check);
  if (initial) check();
  return { input, verdict };
}

sections.queues = async () => {
  let data;
  try {
    data = await api("GET", "/api/desk/admin/queues");
  } catch (error) {
    return [unavailable(error)];
  }
  const rows = data.queues.map((queue) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, queue.name),
      h("td", {}, h("code", {}, queue.target_workers)),
      h("td", { class: "num" }, `${queue.service_level_target}% / ${queue.service_level_threshold}s`),
      h("td", {}, h("button", { type: "button", class: "button small", onclick: () => editQueue(queue) }, t("common.edit"))),
    ),
  );
  return [card(t("admin.queues"), table([t("queue.name"), t("queue.target_workers"), t("queue.goal"), ""], rows)), queueForm(null)];
};

function queueForm(queue) {
  const name = h("input", { type: "text", required: true, value: queue?.name || "" });
  const { input: expression, verdict } = expressionInput(queue?.target_workers || "1==1", "queue-expression");
  const threshold = h("input", { type: "number", min: 1, max: 3600, value: queue?.service_level_threshold ?? 20 });
  const target = h("input", { type: "number", min: 1, max: 100, value: queue?.service_level_target ?? 80 });
  const form = h(
    "form",
    { class: "stack", id: queue ? "queue-edit" : "queue-create" },
    h(
      "div",
      { class: "form-grid" },
      field("queue-name", t("queue.name"), name),
      field("queue-threshold", t("queue.threshold"), threshold),
      field("queue-target", t("queue.target"), target),
    ),
    field("queue-expression", t("queue.target_workers"), expression, t("queue.target_workers_hint")),
    verdict,
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, queue ? t("common.save") : t("queue.create"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: name.value,
      target_workers: expression.value,
      service_level_threshold: Number(threshold.value),
      service_level_target: Number(target.value),
    };
    try {
      if (queue) await api("PATCH", `/api/desk/admin/queues/${queue.sid}`, body);
      else await api("POST", "/api/desk/admin/queues", body);
      toast(t("common.saved"));
      show("queues");
    } catch (error) {
      reportError(error);
    }
  });
  return card(queue ? t("queue.edit", { name: queue.name }) : t("queue.new"), form);
}

function editQueue(queue) {
  root.replaceChildren(queueForm(queue), h("p", {}, h("a", { href: "#queues", onclick: () => show("queues") }, `← ${t("common.back")}`)));
}

// ---------- workflows ----------

sections.workflows = async () => {
  let data;
  try {
    data = await api("GET", "/api/desk/admin/workflows");
  } catch (error) {
    return [unavailable(error)];
  }
  if (data.workflows.length === 0) return [card(t("admin.workflows"), h("p", { class: "muted" }, t("workflow.none")))];
  const picker = h("select", {}, ...data.workflows.map((workflow) => h("option", { value: workflow.sid }, workflow.name)));
  const editor = h("textarea", { class: "code-editor", spellcheck: false, "aria-describedby": "workflow-check" });
  const verdict = h("div", { id: "workflow-check", class: "validation", "aria-live": "polite" });
  const attributes = h("textarea", { class: "code-editor", spellcheck: false, style: "min-height:120px" });
  attributes.value = JSON.stringify({ motivo: "cotacao_auto", channel: "whatsapp" }, null, 2);
  const result = h("div", { class: "dry-run-result", id: "dry-run-result", "aria-live": "polite" });
  const queueNames = Object.fromEntries(data.queues.map((queue) => [queue.sid, queue.name]));
  const load = () => {
    const workflow = data.workflows.find((entry) => entry.sid === picker.value);
    editor.value = JSON.stringify(JSON.parse(workflow.configuration), null, 2);
    validate();
  };
  const validate = debounce(async () => {
    let taskAttributes = null;
    try {
      taskAttributes = JSON.parse(attributes.value || "null");
    } catch {
      result.replaceChildren(h("p", { class: "validation error" }, t("workflow.attributes_invalid")));
    }
    try {
      const answer = await api("POST", "/api/desk/admin/workflows/dry-run", {
        workspace_sid: data.workspace_sid,
        configuration: editor.value,
        task_attributes: taskAttributes,
      });
      editor.setAttribute("aria-invalid", String(!answer.valid));
      verdict.className = `validation ${answer.valid ? "ok" : "error"}`;
      verdict.textContent = answer.valid ? t("workflow.valid") : t("workflow.invalid", { path: answer.path, error: answer.error });
      if (answer.valid && taskAttributes) renderRoute(result, answer, queueNames);
    } catch (error) {
      reportError(error);
    }
  }, 300);
  editor.addEventListener("input", validate);
  attributes.addEventListener("input", validate);
  picker.addEventListener("change", load);
  const save = h("button", { type: "button", class: "button primary", id: "workflow-save" }, t("common.save"));
  save.addEventListener("click", async () => {
    try {
      await api("PATCH", `/api/desk/admin/workflows/${picker.value}`, { configuration: editor.value });
      const workflow = data.workflows.find((entry) => entry.sid === picker.value);
      workflow.configuration = editor.value;
      toast(t("common.saved"));
    } catch (error) {
      reportError(error);
    }
  });
  load();
  return [
    card(
      t("admin.workflows"),
      h(
        "div",
        { class: "stack" },
        field("workflow-picker", t("workflow.choose"), picker),
        field("workflow-editor", t("workflow.configuration"), editor, t("workflow.configuration_hint")),
        verdict,
        h("div", { class: "row end" }, save),
      ),
    ),
    card(
      t("workflow.dry_run"),
      h("p", { class: "muted small" }, t("workflow.dry_run_hint")),
      h("div", { class: "stack" }, field("workflow-attributes", t("workflow.task_attributes"), attributes), result),
    ),
  ];
};

function renderRoute(container, answer, queueNames) {
  if (answer.leaves_workflow) {
    container.replaceChildren(h("p", { class: "validation error" }, t("workflow.no_match")));
    return;
  }
  container.replaceChildren(
    h("p", {}, t("workflow.matched", { filter: answer.filter_name })),
    h(
      "ol",
      { class: "route-steps" },
      ...answer.steps.map((step) =>
        h(
          "li",
          {},
          h("strong", {}, step.queue_name || queueNames[step.queue_sid] || step.queue_sid),
          step.timeout ? ` · ${t("workflow.after_seconds", { seconds: step.timeout })}` : "",
          step.known_worker ? h("div", { class: "muted small" }, t("workflow.known_worker", { worker: step.known_worker })) : null,
          step.expression ? h("div", { class: "muted small" }, h("code", {}, step.expression)) : null,
        ),
      ),
    ),
  );
}

// ---------- dispositions ----------

sections.dispositions = async () => {
  const data = await api("GET", "/api/desk/admin/dispositions");
  const rows = data.map((disposition) => {
    const label = h("input", { type: "text", value: disposition.label, "aria-label": t("disposition.label_of", { code: disposition.code }) });
    const save = async (patch) => {
      try {
        await api("PATCH", `/api/desk/admin/dispositions/${disposition.id}`, patch);
        toast(t("common.saved"));
        show("dispositions");
      } catch (error) {
        reportError(error);
      }
    };
    return h(
      "tr",
      {},
      h("td", {}, label),
      h("td", {}, h("code", {}, disposition.code)),
      h("td", {}, disposition.active ? h("span", { class: "badge ok" }, t("common.active")) : h("span", { class: "badge" }, t("common.inactive"))),
      h(
        "td",
        { class: "nowrap" },
        h("button", { type: "button", class: "button small", onclick: () => save({ label: label.value }) }, t("common.save")),
        " ",
        h("button", { type: "button", class: "button small ghost", onclick: () => save({ active: !disposition.active }) }, disposition.active ? t("common.deactivate") : t("common.activate")),
      ),
    );
  });
  const label = h("input", { type: "text", required: true });
  const form = h(
    "form",
    { class: "row", id: "disposition-create" },
    h("label", { for: "disposition-label", class: "label" }, t("disposition.new")),
    Object.assign(label, { id: "disposition-label", style: "max-width:320px" }),
    h("button", { type: "submit", class: "button primary" }, t("common.add")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/desk/admin/dispositions", { label: label.value });
      toast(t("common.saved"));
      show("dispositions");
    } catch (error) {
      reportError(error);
    }
  });
  return [card(t("admin.dispositions"), h("p", { class: "muted small" }, t("disposition.hint")), table([t("disposition.label"), t("disposition.code"), t("user.status"), ""], rows), form)];
};

// ---------- canned responses ----------

sections.canned = async () => {
  const data = await api("GET", "/api/desk/admin/canned-responses");
  const rows = data.map((response) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, response.title),
      h("td", { class: "small" }, response.body),
      h("td", {}, response.language),
      h(
        "td",
        { class: "nowrap" },
        h(
          "button",
          {
            type: "button",
            class: "button small danger",
            onclick: async () => {
              try {
                await api("DELETE", `/api/desk/admin/canned-responses/${response.id}`);
                show("canned");
              } catch (error) {
                reportError(error);
              }
            },
          },
          t("common.remove"),
        ),
      ),
    ),
  );
  const title = h("input", { type: "text", required: true });
  const body = h("textarea", { required: true, rows: 3 });
  const language = h("select", {}, h("option", { value: "pt-BR" }, "pt-BR"), h("option", { value: "en" }, "en"));
  const form = h(
    "form",
    { class: "stack", id: "canned-create" },
    h("div", { class: "form-grid" }, field("canned-title", t("canned.title"), title), field("canned-language", t("canned.language"), language)),
    field("canned-body", t("canned.body"), body, t("canned.placeholders")),
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, t("common.add"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/desk/admin/canned-responses", { title: title.value, body: body.value, language: language.value });
      show("canned");
    } catch (error) {
      reportError(error);
    }
  });
  return [card(t("admin.canned"), table([t("canned.title"), t("canned.body"), t("canned.language"), ""], rows)), card(t("canned.new"), form)];
};

// ---------- sections whose data other parts of Atende own (messaging, voice, operations) ----------

function formatCell(value) {
  if (value === null || value === undefined || value === "") return "–";
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) return formatDateTime(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

sections.templates = async () => {
  let data;
  try {
    data = await api("GET", "/api/whatsapp/templates");
  } catch (error) {
    return [unavailable(error)];
  }
  const rows = data.templates.map((template) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, h("code", {}, template.name)),
      h("td", {}, template.language),
      h("td", {}, template.category),
      h("td", { class: "small" }, templateText(template.body, template.variables)),
      h("td", { class: "small" }, (template.variables || []).join(", ") || "–"),
    ),
  );
  const name = h("input", { type: "text", required: true, pattern: "[a-z0-9_]+", class: "mono" });
  const language = h("select", {}, h("option", { value: "pt_BR" }, "pt_BR"), h("option", { value: "en_US" }, "en_US"));
  const category = h("select", {}, ...["UTILITY", "MARKETING", "AUTHENTICATION"].map((value) => h("option", { value }, value)));
  const body = h("textarea", { required: true, rows: 3 });
  const variables = h("input", { type: "text" });
  const form = h(
    "form",
    { class: "stack", id: "template-create" },
    h(
      "div",
      { class: "form-grid" },
      field("template-name", t("template.name"), name, t("template.name_hint")),
      field("template-language", t("canned.language"), language),
      field("template-category", t("template.category"), category),
    ),
    field("template-body", t("canned.body"), body, t("template.body_hint")),
    field("template-variables", t("template.variables"), variables, t("template.variables_hint")),
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, t("common.add"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("PUT", "/api/whatsapp/templates", {
        name: name.value,
        language: language.value,
        category: category.value,
        body: body.value,
        variables: splitList(variables.value),
      });
      toast(t("common.saved"));
      show("templates");
    } catch (error) {
      reportError(error);
    }
  });
  return [
    card(t("admin.templates"), h("p", { class: "muted small" }, t("template.hint")), table([t("template.name"), t("canned.language"), t("template.category"), t("canned.body"), t("template.variables")], rows)),
    card(t("template.new"), form),
  ];
};

sections.channels = async () => {
  const providers = await api("GET", "/api/desk/admin/channels");
  const providerRows = providers.map((channel) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, channel.name),
      h("td", {}, formatCell(channel.address)),
      h("td", {}, channel.configured ? h("span", { class: "badge ok" }, t("common.yes")) : h("span", { class: "badge warn" }, t("common.no"))),
    ),
  );
  const parts = [card(t("admin.channels"), h("p", { class: "muted small" }, t("channel.hint")), table([t("channel.name"), t("channel.address"), t("channel.credentials")], providerRows))];
  let workflows = [];
  try {
    workflows = (await api("GET", "/api/desk/admin/workflows")).workflows;
  } catch (error) {
    if (error.status !== 404) reportError(error);
  }
  const workflowNames = Object.fromEntries(workflows.map((workflow) => [workflow.sid, workflow.name]));
  parts.push(...(await whatsappCards(workflows, workflowNames)));
  let voice;
  try {
    voice = await api("GET", "/api/voice/channels");
  } catch (error) {
    if (error.status !== 404) reportError(error);
    return parts;
  }
  const rows = voice.map((channel) =>
    h(
      "tr",
      { dataset: { channel: channel.sid } },
      h("th", { scope: "row" }, channel.name),
      h("td", { class: "nowrap" }, channel.phone_number),
      h("td", {}, channel.kind),
      h("td", {}, channel.workflow_sid ? workflowNames[channel.workflow_sid] || channel.workflow_sid : "–"),
      h("td", {}, channel.language),
      h("td", {}, formatCell(channel.record_calls)),
      h(
        "td",
        {},
        h(
          "button",
          { type: "button", class: "button small", "aria-label": t("channel.edit", { name: channel.name }), onclick: () => editChannel(voiceChannelForm(channel, workflows)) },
          t("common.edit"),
        ),
      ),
    ),
  );
  parts.push(
    card(
      t("channel.voice_title"),
      h("p", { class: "muted small" }, t("channel.voice_hint")),
      table([t("channel.name"), t("channel.address"), t("channel.kind"), t("channel.workflow"), t("canned.language"), t("channel.recording"), ""], rows),
    ),
    voiceChannelForm(null, workflows),
  );
  return parts;
};

// What a channel API's problem names (`phone_number: …`, `account_sid: …`) is shown beside the
// form in the page's language, naming the field by its label and keeping the server's words.
// `scope` holds the reasons per field (`channel.error`, `whatsapp.error`); a 409 on
// `uniqueField` is a duplicate.
function channelFieldError(failure, inputs, scope, uniqueField) {
  const detail = failure.message || "";
  const name = /^([a-z_]+)[.:\s]/.exec(detail)?.[1];
  const input = name && Object.hasOwn(inputs, name) ? inputs[name] : null;
  if (!input) return { name: null, input: null, text: detail };
  const label = input.labels?.[0]?.textContent || name;
  const why = failure.status === 409 && name === uniqueField ? t(`${scope}.duplicate`) : t(`${scope}.${name}`);
  const said = detail.replace(/^[a-z_]+:\s*(Value error,\s*)?/, "");
  return { name, input, text: t("channel.error_field", { field: label, why, detail: said }) };
}

function showFieldError(error, found) {
  error.textContent = found.text;
  error.hidden = false;
  if (found.input) {
    found.input.setAttribute("aria-invalid", "true");
    found.input.focus();
  }
}

// Wires a channel form (voice or WhatsApp): on submit, `save()` sends it and the list comes back;
// a refusal is said beside the form and puts the focus on the field it names. A field with a
// box of its own in `besides` (a long one, like a flow) has its refusals said right under it.
function onChannelSubmit(form, inputs, error, scope, uniqueField, save, besides = {}) {
  for (const [name, input] of Object.entries(inputs)) input.setAttribute("aria-describedby", (besides[name] || error).id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const box of [error, ...Object.values(besides)]) box.hidden = true;
    for (const input of Object.values(inputs)) input.removeAttribute("aria-invalid");
    try {
      await save();
      toast(t("common.saved"));
      show("channels");
    } catch (failure) {
      const found = channelFieldError(failure, inputs, scope, uniqueField);
      showFieldError(besides[found.name] || error, found);
    }
  });
}

function voiceChannelForm(channel, workflows) {
  const prefix = channel ? "voice-edit" : "voice-new";
  const inputs = {
    name: h("input", { type: "text", required: true, maxlength: 200, value: channel?.name || "" }),
    phone_number: h("input", { type: "tel", required: true, class: "mono", placeholder: "+551130030000", value: channel?.phone_number || "", disabled: Boolean(channel), autocomplete: "off" }),
    account_sid: h("input", { type: "text", required: true, class: "mono", maxlength: 34, placeholder: "AC…", value: channel?.account_sid || "", disabled: Boolean(channel), autocomplete: "off", spellcheck: false }),
    auth_token: h("input", { type: "password", required: !channel, autocomplete: "new-password", spellcheck: false }),
    workflow_sid: h(
      "select",
      {},
      ...workflows.map((workflow) => h("option", { value: workflow.sid, selected: workflow.sid === channel?.workflow_sid }, workflow.name)),
    ),
    language: h("select", {}, ...["pt-BR", "en"].map((value) => h("option", { value, selected: value === (channel?.language || "pt-BR") }, value))),
    crm_lookup_url: h("input", { type: "text", inputmode: "url", class: "mono", placeholder: "https://crm.exemplo/clientes?telefone={from}", value: channel?.crm_lookup_url || "", spellcheck: false }),
    api_key_sid: h("input", { type: "text", class: "mono", maxlength: 34, placeholder: "SK…", value: channel?.api_key_sid || "", autocomplete: "off", spellcheck: false }),
    api_key_secret: h("input", { type: "password", autocomplete: "new-password", spellcheck: false }),
    twiml_app_sid: h("input", { type: "text", class: "mono", maxlength: 34, placeholder: "AP…", value: channel?.twiml_app_sid || "", autocomplete: "off", spellcheck: false }),
  };
  const record = h("input", { type: "checkbox", id: `${prefix}-record`, checked: channel ? channel.record_calls : true });
  const error = h("p", { class: "alert alert-error", role: "alert", id: `${prefix}-error`, hidden: true });
  const secretHint = channel ? (channel.api_key_secret_set ? t("channel.api_key_secret_keep") : t("channel.api_key_secret_none")) : null;
  const softphone = h(
    "fieldset",
    { class: "stack" },
    h("legend", {}, t("channel.softphone")),
    h("p", { class: "muted small" }, t("channel.softphone_hint")),
    h(
      "div",
      { class: "form-grid" },
      field(`${prefix}-api-key-sid`, t("channel.api_key_sid"), inputs.api_key_sid),
      field(`${prefix}-api-key-secret`, channel ? t("channel.new_api_key_secret") : t("channel.api_key_secret"), inputs.api_key_secret, secretHint),
      field(`${prefix}-twiml-app-sid`, t("channel.twiml_app_sid"), inputs.twiml_app_sid),
    ),
  );
  const form = h(
    "form",
    { class: "stack", id: `${prefix}-form`, novalidate: true },
    h(
      "div",
      { class: "form-grid" },
      field(`${prefix}-name`, t("channel.name"), inputs.name),
      field(`${prefix}-number`, t("channel.phone_number"), inputs.phone_number, channel ? t("channel.number_fixed") : t("channel.phone_number_hint")),
      field(`${prefix}-account-sid`, t("channel.account_sid"), inputs.account_sid, channel ? null : t("channel.account_sid_hint")),
      field(`${prefix}-auth-token`, channel ? t("channel.new_auth_token") : t("channel.auth_token"), inputs.auth_token, channel ? t("channel.auth_token_keep") : t("channel.auth_token_hint")),
      field(`${prefix}-workflow`, t("channel.workflow"), inputs.workflow_sid, workflows.length ? null : t("workflow.none")),
      field(`${prefix}-language`, t("channel.language"), inputs.language),
    ),
    h("label", { class: "inline-check", for: record.id }, record, t("channel.record_calls")),
    field(`${prefix}-crm`, t("channel.crm_lookup_url"), inputs.crm_lookup_url, t("channel.crm_lookup_url_hint")),
    softphone,
    error,
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, channel ? t("common.save") : t("channel.create"))),
  );
  onChannelSubmit(form, inputs, error, "channel.error", "phone_number", () => {
    const text = (input) => input.value.trim() || null;
    const body = {
      name: inputs.name.value.trim(),
      workflow_sid: inputs.workflow_sid.value || null,
      language: inputs.language.value,
      record_calls: record.checked,
      crm_lookup_url: text(inputs.crm_lookup_url),
      api_key_sid: text(inputs.api_key_sid),
      twiml_app_sid: text(inputs.twiml_app_sid),
    };
    if (inputs.auth_token.value) body.auth_token = inputs.auth_token.value;
    if (inputs.api_key_secret.value) body.api_key_secret = inputs.api_key_secret.value;
    if (channel) return api("PATCH", `/api/voice/channels/${channel.sid}`, body);
    Object.assign(body, {
      kind: "twilio",
      phone_number: inputs.phone_number.value.trim(),
      account_sid: inputs.account_sid.value.trim(),
      auth_token: inputs.auth_token.value,
    });
    return api("POST", "/api/voice/channels", body);
  });
  return card(channel ? t("channel.edit", { name: channel.name }) : t("channel.new"), form);
}

// A channel's edit form on its own, with the way back to the list.
function editChannel(form) {
  root.replaceChildren(form, h("p", {}, h("a", { href: "#channels", onclick: () => show("channels") }, `← ${t("common.back")}`)));
  root.querySelector("input:not([disabled])")?.focus();
}

// ---------- WhatsApp numbers ----------

// The numbers of Meta's Cloud API registered here: each sends with its own token and routes to
// its own workflow. The token is typed, never shown again: the list says how it ends.
async function whatsappCards(workflows, workflowNames) {
  let numbers;
  try {
    numbers = await api("GET", "/api/whatsapp/numbers");
  } catch (error) {
    if (error.status !== 404) reportError(error);
    return [];
  }
  const rows = numbers.map((number) =>
    h(
      "tr",
      { dataset: { whatsapp: number.sid } },
      h("th", { scope: "row" }, number.name),
      h("td", { class: "nowrap" }, number.display_phone_number),
      h("td", { class: "mono" }, number.phone_number_id),
      h("td", {}, number.workflow_sid ? workflowNames[number.workflow_sid] || number.workflow_sid : t("whatsapp.default_workflow")),
      h("td", { class: "mono" }, t("whatsapp.token_ends", { last4: number.access_token_last4 })),
      h("td", {}, number.enabled ? h("span", { class: "badge ok" }, t("common.active")) : h("span", { class: "badge" }, t("common.inactive"))),
      h(
        "td",
        { class: "nowrap" },
        h(
          "button",
          { type: "button", class: "button small", "aria-label": t("whatsapp.edit", { name: number.name }), onclick: () => editChannel(whatsappForm(number, workflows)) },
          t("common.edit"),
        ),
        " ",
        h(
          "button",
          { type: "button", class: "button small danger", "aria-label": t("whatsapp.remove", { name: number.name }), onclick: () => removeWhatsappNumber(number) },
          t("common.remove"),
        ),
      ),
    ),
  );
  return [
    card(
      t("whatsapp.title"),
      h("p", { class: "muted small" }, t("whatsapp.hint")),
      table([t("channel.name"), t("whatsapp.display_phone_number"), t("whatsapp.phone_number_id"), t("channel.workflow"), t("whatsapp.access_token"), t("user.status"), ""], rows, t("whatsapp.none")),
    ),
    whatsappForm(null, workflows),
  ];
}

// Removing asks first; a number with conversations is only disabled (their history names it),
// and the toast says which of the two happened.
async function removeWhatsappNumber(number) {
  if (!confirm(t("whatsapp.remove_confirm", { name: number.name, number: number.display_phone_number }))) return;
  try {
    const removal = await api("DELETE", `/api/whatsapp/numbers/${number.sid}`);
    toast(t(removal.outcome === "deleted" ? "whatsapp.removed" : "whatsapp.removed_disabled", { name: number.name }));
    show("channels");
  } catch (error) {
    reportError(error);
  }
}

function whatsappForm(number, workflows) {
  const prefix = number ? "whatsapp-edit" : "whatsapp-new";
  const inputs = {
    name: h("input", { type: "text", required: true, maxlength: 200, value: number?.name || "" }),
    display_phone_number: h("input", { type: "tel", required: true, class: "mono", placeholder: "+551130030000", value: number?.display_phone_number || "", autocomplete: "off" }),
    phone_number_id: h("input", { type: "text", required: true, class: "mono", inputmode: "numeric", maxlength: 40, value: number?.phone_number_id || "", disabled: Boolean(number), autocomplete: "off", spellcheck: false }),
    access_token: h("input", { type: "password", required: !number, autocomplete: "new-password", spellcheck: false }),
    workflow_sid: h(
      "select",
      {},
      h("option", { value: "" }, t("whatsapp.default_workflow")),
      ...workflows.map((workflow) => h("option", { value: workflow.sid, selected: workflow.sid === number?.workflow_sid }, workflow.name)),
    ),
    flow: h("textarea", { class: "code-editor", spellcheck: false, placeholder: t("whatsapp.flow_placeholder") }),
  };
  inputs.flow.value = number?.flow ? JSON.stringify(number.flow, null, 2) : "";
  const enabled = h("input", { type: "checkbox", id: `${prefix}-enabled`, checked: number ? number.enabled : true });
  const error = h("p", { class: "alert alert-error", role: "alert", id: `${prefix}-error`, hidden: true });
  const flowError = h("p", { class: "validation error", role: "alert", id: `${prefix}-flow-error`, hidden: true });
  const tokenHint = number ? t("whatsapp.access_token_keep", { last4: number.access_token_last4 }) : t("whatsapp.access_token_hint");
  const form = h(
    "form",
    { class: "stack", id: `${prefix}-form`, novalidate: true },
    h(
      "div",
      { class: "form-grid" },
      field(`${prefix}-name`, t("channel.name"), inputs.name),
      field(`${prefix}-number`, t("whatsapp.display_phone_number"), inputs.display_phone_number, t("channel.phone_number_hint")),
      field(`${prefix}-phone-number-id`, t("whatsapp.phone_number_id"), inputs.phone_number_id, number ? t("whatsapp.phone_number_id_fixed") : t("whatsapp.phone_number_id_hint")),
      field(`${prefix}-access-token`, number ? t("whatsapp.new_access_token") : t("whatsapp.access_token"), inputs.access_token, tokenHint),
      field(`${prefix}-workflow`, t("channel.workflow"), inputs.workflow_sid),
    ),
    h("label", { class: "inline-check", for: enabled.id }, enabled, t("whatsapp.enabled")),
    field(`${prefix}-flow`, t("whatsapp.flow"), inputs.flow, t("whatsapp.flow_hint")),
    flowError,
    error,
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, number ? t("common.save") : t("whatsapp.create"))),
  );
  const save = () => {
    const body = {
      name: inputs.name.value.trim(),
      display_phone_number: inputs.display_phone_number.value.trim(),
      workflow_sid: inputs.workflow_sid.value || null,
      flow: flowDocument(inputs.flow.value),
      enabled: enabled.checked,
    };
    if (inputs.access_token.value) body.access_token = inputs.access_token.value;
    if (number) return api("PATCH", `/api/whatsapp/numbers/${number.sid}`, body);
    body.phone_number_id = inputs.phone_number_id.value.trim();
    body.access_token = inputs.access_token.value;
    return api("POST", "/api/whatsapp/numbers", body);
  };
  onChannelSubmit(form, inputs, error, "whatsapp.error", "phone_number_id", save, { flow: flowError });
  return card(number ? t("whatsapp.edit", { name: number.name }) : t("whatsapp.new"), form);
}

// The flow box as the API takes it: empty is the default chat flow (null); text that is not
// JSON is refused here, named as the server names a bad flow, before anything is sent.
function flowDocument(text) {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch (failure) {
    throw new Error(`flow: ${t("whatsapp.flow_not_json", { error: failure.message })}`);
  }
}

// The week's hours: one row per weekday (Monday first), checked again by the server, which
// says which day is wrong; saved hours drive the flows' out-of-hours check at once.
function hoursRow(day) {
  const name = t(`weekday.${day.weekday}`);
  const open = h("input", { type: "checkbox", id: `hours-open-${day.weekday}`, checked: day.open });
  const opens = h("input", { type: "time", id: `hours-opens-${day.weekday}`, value: (day.opens || "08:00").slice(0, 5), "aria-label": `${name}: ${t("hours.opens")}` });
  const closes = h("input", { type: "time", id: `hours-closes-${day.weekday}`, value: (day.closes || "18:00").slice(0, 5), "aria-label": `${name}: ${t("hours.closes")}` });
  const sync = () => {
    opens.disabled = closes.disabled = !open.checked;
  };
  open.addEventListener("change", sync);
  sync();
  const row = h(
    "tr",
    { dataset: { weekday: String(day.weekday) } },
    h("th", { scope: "row" }, name),
    h("td", {}, h("label", { class: "inline-check", for: open.id }, open, t("hours.open"))),
    h("td", {}, opens),
    h("td", {}, closes),
  );
  row.value = () => ({ weekday: day.weekday, open: open.checked, opens: open.checked ? opens.value || null : null, closes: open.checked ? closes.value || null : null });
  return row;
}

function hoursCard(data) {
  const rows = data.days.map(hoursRow);
  const error = h("p", { class: "alert alert-error", role: "alert", id: "hours-error", hidden: true });
  const state = data.configured
    ? h("span", { class: `badge ${data.open_now ? "ok" : "warn"}`, id: "hours-now" }, data.open_now ? t("hours.open_now") : t("hours.closed_now"))
    : h("span", { class: "badge", id: "hours-now" }, t("hours.builtin"));
  const form = h(
    "form",
    { id: "hours-form", class: "stack", novalidate: true },
    table([t("hours.weekday"), t("hours.open"), t("hours.opens"), t("hours.closes")], rows),
    error,
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary", id: "hours-save" }, t("common.save"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await api("PUT", "/api/desk/admin/business-hours", { days: rows.map((row) => row.value()) });
      toast(t("hours.saved"));
      show("hours");
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  return card(
    t("hours.title"),
    h("p", { class: "row" }, h("span", { class: "muted small" }, t("hours.hint", { zone: data.timezone })), state),
    form,
  );
}

sections.hours = async () => {
  const year = new Date().getFullYear();
  const [hours, holidays] = await Promise.all([
    api("GET", "/api/desk/admin/business-hours"),
    api("GET", `/api/desk/admin/holidays?year=${year}`),
  ]);
  const parts = [
    hoursCard(hours),
    card(
      t("hours.holidays", { year }),
      h("p", { class: "muted small" }, t("hours.holidays_hint")),
      table(
        [t("hours.day"), t("hours.name")],
        holidays.map((holiday) => h("tr", {}, h("td", { class: "nowrap" }, holiday.day.split("-").reverse().join("/")), h("td", {}, holiday.name))),
      ),
    ),
  ];
  try {
    const closures = await api("GET", "/api/ops/closures");
    const day = h("input", { type: "date", required: true });
    const reason = h("input", { type: "text", required: true, maxlength: 200 });
    const form = h(
      "form",
      { class: "form-grid", id: "closure-create" },
      field("closure-day", t("hours.day"), day),
      field("closure-reason", t("hours.reason"), reason),
      h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, t("common.add"))),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("POST", "/api/ops/closures", { day: day.value, reason: reason.value });
        show("hours");
      } catch (error) {
        reportError(error);
      }
    });
    const rows = closures.map((closure) =>
      h(
        "tr",
        {},
        h("td", { class: "nowrap" }, closure.day.split("-").reverse().join("/")),
        h("td", {}, closure.reason),
        h(
          "td",
          {},
          h(
            "button",
            {
              type: "button",
              class: "button small danger",
              onclick: () => api("DELETE", `/api/ops/closures/${closure.id}`).then(() => show("hours"), reportError),
            },
            t("common.remove"),
          ),
        ),
      ),
    );
    parts.push(card(t("hours.closures"), h("p", { class: "muted small" }, t("hours.closures_hint")), table([t("hours.day"), t("hours.reason"), ""], rows), form));
  } catch (error) {
    if (error.status !== 404) reportError(error);
  }
  return parts;
};

// ---------- navigation ----------

async function show(name) {
  const section = sections[name] ? name : "users";
  for (const link of document.querySelectorAll("#admin-nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === `#${section}`);
    if (link.getAttribute("href") === `#${section}`) link.setAttribute("aria-current", "page");
  }
  root.replaceChildren(h("p", { class: "muted" }, t("common.loading")));
  try {
    root.replaceChildren(...(await sections[section]()));
  } catch (error) {
    root.replaceChildren(card(t("error.unexpected"), h("p", {}, error.message)));
  }
}

window.addEventListener("hashchange", () => show(location.hash.slice(1)));
show(location.hash.slice(1));
