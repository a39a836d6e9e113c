// The agent desktop: status, offers of work, the work held, the conversation or call at hand,
// the customer, and the wrap-up. The server's snapshot (/api/desk/agent) is the truth; push
// events only say "something changed", so after any gap the page shows exactly the work held.

import {
  PushStream,
  api,
  byId,
  config,
  formatDuration,
  formatTime,
  h,
  reportError,
  secondsSince,
  secondsUntil,
  syncClock,
  t,
  throttle,
  toast,
} from "./desk.js";
import { announce, enableAlerts } from "./alerts.js";
import { renderConversation } from "./conversation.js";
import { renderCall } from "./call.js";
import { renderCustomer } from "./customer.js";
import { Softphone } from "./softphone.js";

const state = {
  worker: null,
  activities: [],
  work: [],
  dispositions: [],
  canned: [],
  selected: null,
  announced: new Set(),
  wrapping: new Set(),
};

// The voice task the browser softphone's incoming leg belongs to: the newest one held.
const softphone = new Softphone(byId("softphone"), {
  voiceTask: () =>
    state.work
      .filter((item) => item.channel === "voice" && item.reservation_status !== "pending")
      .sort((a, b) => String(b.accepted_at).localeCompare(String(a.accepted_at)))[0] || null,
});

const CHANNEL_SHORT = { voice: "☎", whatsapp: "WA", webchat: "W", sms: "SMS" };

// ---------- snapshot ----------

async function load() {
  const snapshot = await api("GET", "/api/desk/agent");
  syncClock(snapshot.now);
  state.worker = snapshot.worker;
  state.activities = snapshot.activities;
  state.work = snapshot.work;
  state.dispositions = snapshot.dispositions;
  state.canned = snapshot.canned_responses;
  state.limits = snapshot.attachment_limits || {};
  if (state.selected && !state.work.some((item) => item.task_sid === state.selected)) {
    state.selected = null;
  }
  const held = state.work.filter((item) => item.reservation_status !== "pending");
  if (!state.selected && held.length > 0) state.selected = held[0].task_sid;
  renderAll();
  softphone.start(snapshot.softphone).catch(reportError);
  for (const item of state.work) {
    if (item.reservation_status === "pending" && !state.announced.has(item.reservation_sid)) {
      state.announced.add(item.reservation_sid);
      announce(offerTitle(item), offerMeta(item));
    }
  }
  return snapshot;
}

const refresh = throttle(() => load().catch(reportError), 300);

// ---------- rendering ----------

function renderAll() {
  renderActivity();
  renderOffers();
  renderWorkList();
  renderPane();
}

function activityKind(worker) {
  if (!worker) return "";
  if (!worker.available) return "";
  return state.work.some((item) => item.reservation_status !== "pending") ? "busy" : "available";
}

function renderActivity() {
  const select = byId("activity");
  const worker = state.worker;
  select.replaceChildren(
    ...state.activities.map((activity) =>
      h("option", { value: activity.sid, selected: activity.sid === worker.activity_sid }, activity.name),
    ),
  );
  select.disabled = false;
  byId("activity-dot").className = `activity-dot ${activityKind(worker)}`;
  updateSince();
  // Only the channels in use: "WhatsApp 2/3" tells the agent how much room is left.
  const inUse = (worker.capacity || []).filter((channel) => channel.used > 0);
  byId("capacity").textContent = inUse
    .map((channel) => `${t(`channel.${channel.channel}`)} ${channel.used}/${channel.capacity}`)
    .join(" · ");
}

function updateSince() {
  if (!state.worker) return;
  byId("activity-since").textContent = t("agent.since", {
    duration: formatDuration(secondsSince(state.worker.since)),
  });
}

function customerName(item) {
  return item.customer_name || item.customer_address || t("customer.unknown");
}

function offerTitle(item) {
  return t("agent.offer_title", { channel: t(`channel.${item.channel}`), customer: customerName(item) });
}

function offerMeta(item) {
  return [item.queue_name, item.attributes?.motivo ? t(`motivo.${item.attributes.motivo}`) : null]
    .filter(Boolean)
    .join(" · ");
}

function renderOffers() {
  const box = byId("offers");
  const offers = state.work.filter((item) => item.reservation_status === "pending");
  box.replaceChildren(
    ...offers.map((item) =>
      h(
        "article",
        { class: "offer", "aria-label": offerTitle(item), dataset: { reservation: item.reservation_sid } },
        h("div", { class: "offer-title" }, offerTitle(item)),
        h(
          "div",
          { class: "offer-meta" },
          offerMeta(item),
          item.timeout_at ? h("span", { class: "countdown", dataset: { until: item.timeout_at } }) : null,
        ),
        h(
          "div",
          { class: "row" },
          h(
            "button",
            { type: "button", class: "button success", onclick: () => decide(item, "accept") },
            t("agent.accept"),
          ),
          h(
            "button",
            { type: "button", class: "button danger", onclick: () => decide(item, "reject") },
            t("agent.reject"),
          ),
        ),
      ),
    ),
  );
  updateCountdowns();
}

function updateCountdowns() {
  for (const element of document.querySelectorAll(".countdown")) {
    const left = secondsUntil(element.dataset.until);
    element.textContent = ` · ${t("agent.expires_in", { duration: formatDuration(left) })}`;
  }
}

function statusLabel(item) {
  if (item.reservation_status === "wrapping" || item.task_status === "wrapping") return t("work.wrapping");
  return t("work.active");
}

function renderWorkList() {
  const held = state.work.filter((item) => item.reservation_status !== "pending");
  byId("work-count").textContent = String(held.length);
  byId("work-empty").hidden = held.length > 0;
  byId("work-items").replaceChildren(
    ...held.map((item) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "work-item",
            "aria-current": item.task_sid === state.selected ? "true" : "false",
            dataset: { task: item.task_sid },
            onclick: () => select(item.task_sid),
          },
          h("span", { class: `channel-icon ${item.channel}`, "aria-hidden": "true" }, CHANNEL_SHORT[item.channel] || "•"),
          h("span", { class: "who" }, customerName(item)),
          h("span", { class: "when", dataset: { since: item.accepted_at || item.created_at } }),
          h("span", { class: "what" }, `${t(`channel.${item.channel}`)} · ${statusLabel(item)}`),
        ),
      ),
    ),
  );
  updateElapsed();
}

function updateElapsed() {
  for (const element of document.querySelectorAll("[data-since]")) {
    element.textContent = formatDuration(secondsSince(element.dataset.since));
  }
}

function selectedItem() {
  return state.work.find((item) => item.task_sid === state.selected) || null;
}

function select(taskSid) {
  state.selected = taskSid;
  renderWorkList();
  renderPane();
}

// Rebuilding the pane would drop a half-typed reply, so it is rebuilt only when the task at
// hand or its stage changes.
let paneKey = null;

function renderPane() {
  const item = selectedItem();
  const key = item ? `${item.task_sid}:${item.reservation_status}:${item.task_status}` : null;
  if (key === paneKey) return;
  paneKey = key;
  const pane = byId("pane-task");
  byId("pane-empty").hidden = Boolean(item);
  pane.hidden = !item;
  if (!item) {
    pane.replaceChildren();
    renderCustomer(byId("customer-body"), null);
    return;
  }
  const wrapping = item.reservation_status === "wrapping" || item.task_status === "wrapping";
  // A call is ended with the call panel's Desligar, which then starts the wrap-up: wrapping up
  // a live call would leave the caller connected with no way to hang up (voice refuses to
  // complete a live call).
  const onCall = item.channel === "voice" && Boolean(item.call_sid);
  const head = h(
    "header",
    { class: "pane-head" },
    h("h2", {}, customerName(item)),
    h("span", { class: `badge ${item.channel}` }, t(`channel.${item.channel}`)),
    item.queue_name ? h("span", { class: "badge" }, item.queue_name) : null,
    h("span", { class: `badge ${wrapping ? "warn" : "ok"}` }, statusLabel(item)),
    h("span", { class: "spacer" }),
    h("span", { class: "muted small", dataset: { since: item.accepted_at || item.created_at } }),
    wrapping || onCall
      ? null
      : h(
          "button",
          { type: "button", class: "button", id: "finish-work", onclick: () => startWrapUp(item) },
          t("agent.finish"),
        ),
  );
  const body = h("div", { class: "pane-body" });
  if (wrapping) {
    body.append(renderWrapUp(item));
  } else if (item.channel === "voice") {
    renderCall(body, item, { onEnded: () => startWrapUp(item) });
  } else {
    renderConversation(body, item, { canned: state.canned, agentName: config.user.name, limits: state.limits });
  }
  pane.replaceChildren(head, body);
  renderCustomer(byId("customer-body"), item);
  updateElapsed();
}

// ---------- actions ----------

async function decide(item, decision) {
  try {
    await api("POST", `/api/desk/reservations/${item.reservation_sid}/${decision}`);
    if (decision === "accept") state.selected = item.task_sid;
    toast(decision === "accept" ? t("agent.accepted") : t("agent.rejected"));
  } catch (error) {
    reportError(error);
  }
  await load().catch(reportError);
}

async function startWrapUp(item) {
  try {
    await api("POST", `/api/desk/tasks/${item.task_sid}/wrapup`);
  } catch (error) {
    reportError(error);
  }
  await load().catch(reportError);
}

function renderWrapUp(item) {
  const form = h("form", { class: "wrapup stack", id: "wrapup-form", novalidate: true });
  const fieldset = h(
    "fieldset",
    { class: "dispositions" },
    h("legend", {}, t("wrapup.disposition")),
    ...state.dispositions.map((disposition) =>
      h(
        "label",
        { class: "disposition" },
        h("input", { type: "radio", name: "disposition", value: disposition.code }),
        disposition.label,
      ),
    ),
  );
  const note = h("textarea", { id: "wrapup-note", name: "note", rows: 3, maxlength: 2000 });
  const error = h("p", { class: "alert alert-error", role: "alert", hidden: true });
  form.append(
    h("h3", {}, t("wrapup.title")),
    h("p", { class: "muted small" }, t("wrapup.hint")),
    fieldset,
    h("div", { class: "field" }, h("label", { for: "wrapup-note" }, t("wrapup.note")), note),
    error,
    h(
      "div",
      { class: "row end" },
      h("button", { type: "submit", class: "button primary", id: "complete-work" }, t("wrapup.complete")),
    ),
  );
  fieldset.addEventListener("change", () => {
    error.hidden = true;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=disposition]:checked");
    if (!chosen) {
      error.textContent = t("wrapup.choose");
      error.hidden = false;
      fieldset.querySelector("input")?.focus();
      return;
    }
    try {
      await api("POST", `/api/desk/tasks/${item.task_sid}/complete`, {
        disposition_code: chosen.value,
        note: note.value,
      });
      toast(t("wrapup.done"));
      state.selected = null;
    } catch (failure) {
      reportError(failure);
    }
    await load().catch(reportError);
  });
  return form;
}

async function changeActivity(event) {
  const select = event.target;
  const previous = state.worker.activity_sid;
  select.disabled = true;
  try {
    await api("POST", "/api/desk/activity", { activity_sid: select.value });
  } catch (error) {
    select.value = previous;
    reportError(error);
  }
  await load().catch(reportError);
}

// ---------- push ----------

function onEvent(event) {
  if (event.event_type === "reservation.created") {
    refresh();
    return;
  }
  if (
    event.event_type.startsWith("reservation.") ||
    event.event_type.startsWith("task.") ||
    event.event_type.startsWith("worker.")
  ) {
    refresh();
  }
  document.dispatchEvent(new CustomEvent("desk:event", { detail: event }));
}

async function main() {
  byId("activity").addEventListener("change", changeActivity);
  byId("enable-alerts").addEventListener("click", () => enableAlerts(byId("enable-alerts")));
  const snapshot = await load();
  const stream = new PushStream(`/api/stream/workers/${encodeURIComponent(snapshot.worker.sid)}`, {
    after: snapshot.last_seq,
    onEvent,
    onOpen: (reconnected) => {
      if (reconnected) refresh();
    },
  });
  stream.start();
  window.deskStream = stream;
  setInterval(() => {
    updateSince();
    updateElapsed();
    updateCountdowns();
  }, 1000);
  document.addEventListener("desk:refresh", refresh);
}

main().catch((error) => {
  reportError(error);
  byId("pane-empty").replaceChildren(
    h("div", {}, h("strong", {}, t("agent.load_failed")), formatTime(new Date().toISOString())),
  );
});
