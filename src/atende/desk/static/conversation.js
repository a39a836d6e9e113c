// The conversation pane of a chat task: history with delivery ticks, WhatsApp's 24-hour window,
// ready-made replies, and approved templates once the window has closed. New messages and
// status changes arrive as push events ("desk:event"); drafts survive switching tasks.

import { api, formatDuration, formatTime, formatWhen, h, reportError, secondsUntil, t, toast } from "./desk.js";
import { templateText } from "./template_text.js";

const drafts = new Map();
let active = null; // { item, data, list, container }

const TICKS = {
  queued: { text: "🕓", label: "message.queued", cls: "" },
  sent: { text: "✓", label: "message.sent", cls: "" },
  delivered: { text: "✓✓", label: "message.delivered", cls: "" },
  read: { text: "✓✓", label: "message.read", cls: "read" },
  failed: { text: "!", label: "message.failed", cls: "failed" },
};

function ticks(message) {
  if (message.direction !== "outbound") return null;
  const tick = TICKS[message.status] || TICKS.sent;
  const label = t(tick.label);
  return h(
    "span",
    {
      class: `ticks ${tick.cls}`,
      title: message.error_message || label,
      "aria-label": label,
      dataset: { status: message.status },
    },
    tick.text,
  );
}

function messageBody(message) {
  const parts = [];
  if (message.text) parts.push(message.text);
  const content = message.content || {};
  if (message.type === "template" && !message.text) {
    parts.push(t("message.template", { name: content.name || content.template || "" }));
  }
  if (message.media_sid) {
    const url = `/api/media/${encodeURIComponent(message.media_sid)}`;
    if (message.type === "image" || message.type === "sticker") {
      parts.push(h("img", { src: url, alt: content.caption || t("message.image"), loading: "lazy", onload: keepAtBottom }));
    } else if (message.type === "audio" || message.type === "video") {
      parts.push(h(message.type, { src: url, controls: true, preload: "metadata", class: "media-player" }));
    } else {
      parts.push(
        h("a", { class: "attachment", href: url, target: "_blank", rel: "noopener" }, `📎 ${content.filename || t("message.attachment")}`),
      );
    }
    if (content.caption && !message.text) parts.push(h("div", {}, content.caption));
    parts.push(
      h(
        "button",
        { type: "button", class: "button small copy-link", onclick: () => copyLink(message.media_sid) },
        t("message.copy_link"),
      ),
    );
  }
  if (message.type === "location" && content.latitude !== undefined) {
    parts.push(`📍 ${content.name || ""} ${content.latitude}, ${content.longitude}`);
  }
  if (parts.length === 0) parts.push(h("em", { class: "muted" }, t("message.unsupported", { type: message.type })));
  return parts;
}

// A link to hand on (to the customer, a colleague) opens the file without a session, so it is
// signed and expires (media_api.py); the page itself keeps loading files with the session.
async function copyLink(mediaSid) {
  try {
    const link = await api("POST", `/api/desk/media/${encodeURIComponent(mediaSid)}/link`);
    const until = formatWhen(link.expires_at);
    try {
      await navigator.clipboard.writeText(link.url);
      toast(t("message.link_copied", { until }));
    } catch {
      window.prompt(t("message.link_prompt", { until }), link.url);
    }
  } catch (error) {
    reportError(error);
  }
}

// A picture that loads after its message was added grows the list: stay at the newest message.
function keepAtBottom(event) {
  const list = event.target.closest(".messages");
  if (list && list.scrollHeight - list.scrollTop - list.clientHeight < event.target.height + 80) {
    list.scrollTop = list.scrollHeight;
  }
}

function renderMessage(message) {
  const kind = message.author === "system" ? "system" : message.direction;
  const author =
    message.author === "bot" ? t("message.bot") : message.author === "agent" ? t("message.agent") : null;
  return h(
    "div",
    { class: `message ${kind}`, dataset: { sid: message.sid } },
    h("div", { class: "bubble" }, ...messageBody(message)),
    h(
      "div",
      { class: "meta" },
      author ? h("span", {}, author) : null,
      h("time", { datetime: message.sent_at }, formatTime(message.sent_at)),
      ticks(message),
    ),
  );
}

function upsertMessage(message) {
  if (!active) return;
  const messages = active.data.messages;
  const index = messages.findIndex((existing) => existing.sid === message.sid);
  if (index >= 0) messages[index] = message;
  else messages.push(message);
  const existing = active.list.querySelector(`[data-sid="${CSS.escape(message.sid)}"]`);
  const rendered = renderMessage(message);
  if (existing) existing.replaceWith(rendered);
  else {
    const atBottom = active.list.scrollHeight - active.list.scrollTop - active.list.clientHeight < 80;
    active.list.append(rendered);
    if (atBottom || message.direction === "outbound") active.list.scrollTop = active.list.scrollHeight;
  }
  const conversation = active.data.conversation;
  if (message.direction === "inbound" && conversation.channel === "whatsapp") {
    // Only the customer's messages reopen the 24-hour window.
    const reopened = !conversation.window_open;
    conversation.last_inbound_at = message.sent_at;
    conversation.window_open = true;
    conversation.window_expires_at = new Date(Date.parse(message.sent_at) + 24 * 3600 * 1000).toISOString();
    if (reopened) renderComposer();
    else active.bannerSlot.replaceChildren(windowBanner(conversation) || "");
  }
}

// The window closes by the clock, not by an event: check it while the conversation is open.
setInterval(async () => {
  const conversation = active?.data?.conversation;
  if (!conversation || conversation.channel !== "whatsapp" || !conversation.window_open) return;
  if (secondsUntil(conversation.window_expires_at) === 0) {
    conversation.window_open = false;
    try {
      active.data.templates = (await api("GET", "/api/whatsapp/templates")).templates;
    } catch (error) {
      reportError(error);
    }
    renderComposer();
  } else {
    active.bannerSlot.replaceChildren(windowBanner(conversation) || "");
  }
}, 15_000);

document.addEventListener("desk:event", (event) => {
  const data = event.detail?.data || {};
  if (!active || data.conversation_sid !== active.data?.conversation?.sid) return;
  if (data.message) upsertMessage(data.message);
});

function fill(text, item) {
  const conversation = active?.data?.conversation || {};
  const contact = active?.data?.contact || {};
  return text
    .replaceAll("{cliente}", contact.name || item.customer?.name || "")
    .replaceAll("{agente}", (active?.agentName || "").split(" ")[0])
    .replaceAll("{protocolo}", conversation.protocol || item.protocol || "");
}

function windowBanner(conversation) {
  if (conversation.channel !== "whatsapp") return null;
  if (!conversation.window_open) {
    return h("p", { class: "alert alert-warning window-banner", role: "status", id: "window-banner" }, t("window.closed"));
  }
  const left = secondsUntil(conversation.window_expires_at);
  const soon = left < 2 * 3600;
  return h(
    "p",
    { class: `alert ${soon ? "alert-warning" : "alert-info"} window-banner`, role: "status", id: "window-banner" },
    t("window.open", { time: formatWhen(conversation.window_expires_at), duration: formatDuration(left) }),
  );
}

function renderComposer() {
  if (!active) return;
  const { item, data, composerSlot, bannerSlot } = active;
  bannerSlot.replaceChildren(windowBanner(data.conversation) || "");
  if (data.conversation.state === "closed") {
    composerSlot.replaceChildren(h("p", { class: "muted small composer" }, t("conversation.closed")));
    return;
  }
  composerSlot.replaceChildren(
    data.conversation.window_open ? textComposer(item) : templateComposer(item, data.templates || []),
  );
}

function textComposer(item) {
  const textarea = h("textarea", {
    id: "reply",
    rows: 3,
    maxlength: 4096,
    placeholder: t("composer.placeholder"),
    "aria-label": t("composer.label"),
  });
  textarea.value = drafts.get(item.task_sid) || "";
  textarea.addEventListener("input", () => drafts.set(item.task_sid, textarea.value));
  const canned = h(
    "select",
    { id: "canned", "aria-label": t("composer.canned") },
    h("option", { value: "" }, t("composer.canned")),
    ...(active.canned || []).map((response) => h("option", { value: String(response.id) }, response.title)),
  );
  canned.addEventListener("change", () => {
    const response = active.canned.find((entry) => String(entry.id) === canned.value);
    if (response) {
      const text = fill(response.body, item);
      textarea.value = textarea.value ? `${textarea.value}\n${text}` : text;
      drafts.set(item.task_sid, textarea.value);
      textarea.focus();
    }
    canned.value = "";
  });
  const send = h("button", { type: "submit", class: "button primary", id: "send-reply" }, t("composer.send"));
  const attachment = attachmentPicker();
  const form = h(
    "form",
    { class: "composer" },
    textarea,
    attachment.chip,
    h(
      "div",
      { class: "row" },
      canned,
      attachment.button,
      h("span", { class: "muted small" }, t("composer.shortcut")),
      h("span", { class: "spacer" }),
      send,
    ),
  );
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textarea.value.trim();
    const file = attachment.file();
    if (!text && !file) return;
    send.disabled = true;
    try {
      const message = await api("POST", ...outgoing(active.data.conversation.sid, text, file));
      drafts.delete(item.task_sid);
      textarea.value = "";
      attachment.clear();
      upsertMessage(message);
    } catch (error) {
      if (error.status === 409 && error.problem?.templates) {
        // The window closed while the agent was typing: offer the approved templates.
        active.data.conversation.window_open = false;
        active.data.templates = error.problem.templates;
        renderComposer();
      }
      reportError(error);
    } finally {
      send.disabled = false;
      textarea.focus();
    }
  });
  return form;
}

// A file goes as multipart with the text as its caption; otherwise the text alone.
function outgoing(conversationSid, text, file) {
  if (!file) return [`/api/conversations/${conversationSid}/messages`, { type: "text", text }];
  const body = new FormData();
  body.append("file", file);
  if (text) body.append("caption", text);
  return [`/api/conversations/${conversationSid}/attachments`, body];
}

function formatSize(bytes) {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// The types and sizes WhatsApp takes (from the server, which checks them again and says what
// is wrong): a file too large is refused here, before it is uploaded.
function attachmentPicker() {
  const limits = active?.limits || {};
  const input = h("input", { type: "file", id: "attachment", accept: Object.keys(limits).join(","), class: "visually-hidden" });
  const button = h("label", { for: "attachment", class: "button", id: "attach-button" }, t("composer.attach"), input);
  const chip = h("div", { class: "attachment-chip", id: "attachment-chip", hidden: true });
  const clear = () => {
    input.value = "";
    chip.hidden = true;
    chip.replaceChildren();
  };
  input.addEventListener("change", () => {
    const file = input.files[0];
    if (!file) return clear();
    const limit = limits[file.type];
    if (limit && file.size > limit) {
      clear();
      toast(t("composer.too_large", { name: file.name, size: formatSize(file.size), limit: formatSize(limit) }), "error");
      return;
    }
    chip.hidden = false;
    chip.replaceChildren(
      h("span", {}, `📎 ${file.name} · ${formatSize(file.size)}`),
      h("span", { class: "muted small" }, t("composer.caption_hint")),
      h("button", { type: "button", class: "button small", id: "attachment-remove", onclick: clear }, t("composer.remove_attachment")),
    );
  });
  return { button, chip, clear, file: () => input.files[0] || null };
}

function templateComposer(item, templates) {
  if (templates.length === 0) {
    return h("p", { class: "composer muted" }, t("template.none"));
  }
  const picker = h(
    "select",
    { id: "template", "aria-label": t("template.choose") },
    ...templates.map((template, index) => h("option", { value: String(index) }, `${template.name} (${template.language})`)),
  );
  const preview = h("div", { class: "template-preview", "aria-live": "polite" });
  const params = h("div", { class: "form-grid" });
  // The preview fills in as the agent types each value.
  const fillPreview = () => {
    const template = templates[Number(picker.value)];
    const values = [...params.querySelectorAll("input")].map((input) => input.value);
    preview.replaceChildren(...(template.body ? templateText(template.body, template.variables, values) : [template.name]));
  };
  const show = () => {
    const template = templates[Number(picker.value)];
    params.replaceChildren(
      ...(template.variables || []).map((name, index) =>
        h(
          "div",
          { class: "field" },
          h("label", { for: `template-param-${index}` }, name || t("template.parameter", { n: index + 1 })),
          h("input", { id: `template-param-${index}`, type: "text", required: true }),
        ),
      ),
    );
    fillPreview();
  };
  picker.addEventListener("change", show);
  params.addEventListener("input", fillPreview);
  show();
  const form = h(
    "form",
    { class: "composer template-picker" },
    h("label", { class: "label", for: "template" }, t("template.choose")),
    picker,
    preview,
    params,
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary", id: "send-template" }, t("template.send"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const template = templates[Number(picker.value)];
    const values = [...params.querySelectorAll("input")].map((input) => input.value);
    try {
      const message = await api("POST", `/api/conversations/${active.data.conversation.sid}/messages`, {
        type: "template",
        template: template.name,
        language: template.language,
        variables: values,
      });
      upsertMessage(message);
    } catch (error) {
      reportError(error);
    }
  });
  return form;
}

// Right after an accept, messaging hands the conversation to the agent a moment later (it
// follows the routing events), so a first "not yours" is retried briefly.
async function fetchConversation(sid) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const [conversation, messages] = await Promise.all([
        api("GET", `/api/conversations/${sid}`),
        api("GET", `/api/conversations/${sid}/messages`),
      ]);
      return { conversation, contact: conversation.contact, messages: messages.messages };
    } catch (error) {
      if (error.status !== 403 || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

export async function renderConversation(container, item, { canned, agentName, limits }) {
  const list = h("div", { class: "messages", id: "messages", role: "log", "aria-label": t("conversation.history") });
  const bannerSlot = h("div");
  const composerSlot = h("div");
  container.replaceChildren(bannerSlot, list, composerSlot);
  if (!item.conversation_sid) {
    list.replaceChildren(h("p", { class: "empty" }, t("conversation.none")));
    return;
  }
  list.append(h("p", { class: "empty" }, t("common.loading")));
  active = { item, data: null, list, container, bannerSlot, composerSlot, canned, agentName, limits };
  const mine = active;
  let data;
  try {
    data = await fetchConversation(item.conversation_sid);
    if (data.conversation.channel === "whatsapp" && !data.conversation.window_open) {
      data.templates = (await api("GET", "/api/whatsapp/templates")).templates;
    }
  } catch (error) {
    if (mine !== active) return;
    list.replaceChildren(h("p", { class: "empty" }, t("conversation.load_failed")));
    reportError(error);
    return;
  }
  if (mine !== active) return;
  active.data = data;
  list.replaceChildren(...data.messages.map(renderMessage));
  list.scrollTop = list.scrollHeight;
  renderComposer();
}
