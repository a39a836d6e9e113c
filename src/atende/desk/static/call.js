// The call panel of a voice task: how long the call has lasted and its controls (mute, hold,
// transfer to a queue or an agent, cold or warm, hang up). Controls act through the desk's
// API, which checks that the call is this agent's before asking the voice service.

import { api, formatDuration, h, reportError, secondsSince, t, toast } from "./desk.js";

const held = new Map();

function control(label, id, onclick, extra = {}) {
  return h("button", { type: "button", class: "button", id, onclick, ...extra }, label);
}

async function act(item, action, body) {
  return api("POST", `/api/desk/tasks/${item.task_sid}/call/${action}`, body);
}

function transferForm(item, targets) {
  const kind = h(
    "select",
    { id: "transfer-kind", "aria-label": t("call.transfer_mode") },
    h("option", { value: "cold" }, t("call.cold")),
    h("option", { value: "warm" }, t("call.warm")),
  );
  const target = h(
    "select",
    { id: "transfer-target", "aria-label": t("call.transfer_to") },
    ...targets.queues.map((queue) => h("option", { value: `queue:${queue.sid}` }, `${t("call.queue")}: ${queue.name}`)),
    ...targets.workers.map((worker) => h("option", { value: `worker:${worker.sid}` }, `${t("call.agent")}: ${worker.name}`)),
  );
  const form = h(
    "form",
    { class: "transfer-form stack card" },
    h("h3", {}, t("call.transfer")),
    h("div", { class: "form-grid" }, target, kind),
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, t("call.transfer_now"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [type, sid] = target.value.split(":");
    try {
      await act(item, "transfer", { [`${type}_sid`]: sid, mode: kind.value });
      toast(t("call.transferred"));
      document.dispatchEvent(new CustomEvent("desk:refresh"));
    } catch (error) {
      reportError(error);
    }
  });
  return form;
}

export function renderCall(container, item, { onEnded }) {
  const status = h("div", { class: "call-status", role: "status" }, t("call.in_progress"));
  const timer = h("div", { class: "call-timer", dataset: { since: item.accepted_at || item.created_at } }, formatDuration(secondsSince(item.accepted_at)));
  const flags = held.get(item.task_sid) || { muted: false, hold: false };
  held.set(item.task_sid, flags);
  const slot = h("div", { class: "transfer-slot" });
  const toggle = (flag, action, button, onLabel, offLabel) => async () => {
    try {
      await act(item, action, { on: !flags[flag] });
      flags[flag] = !flags[flag];
      button.setAttribute("aria-pressed", String(flags[flag]));
      button.textContent = flags[flag] ? onLabel : offLabel;
      status.textContent = flags.hold ? t("call.on_hold") : flags.muted ? t("call.muted") : t("call.in_progress");
    } catch (error) {
      reportError(error);
    }
  };
  const mute = control(flags.muted ? t("call.unmute") : t("call.mute"), "call-mute", null, { "aria-pressed": String(flags.muted) });
  mute.addEventListener("click", toggle("muted", "mute", mute, t("call.unmute"), t("call.mute")));
  const hold = control(flags.hold ? t("call.resume") : t("call.hold"), "call-hold", null, { "aria-pressed": String(flags.hold) });
  hold.addEventListener("click", toggle("hold", "hold", hold, t("call.resume"), t("call.hold")));
  const transfer = control(t("call.transfer"), "call-transfer", async () => {
    if (slot.firstChild) {
      slot.replaceChildren();
      return;
    }
    try {
      slot.replaceChildren(transferForm(item, await api("GET", "/api/desk/transfer-targets")));
    } catch (error) {
      reportError(error);
    }
  });
  const hangup = h("button", { type: "button", class: "button danger solid", id: "call-hangup" }, t("call.hangup"));
  hangup.addEventListener("click", async () => {
    try {
      await act(item, "hangup");
    } catch (error) {
      reportError(error);
    }
    onEnded();
  });
  container.replaceChildren(
    h("div", { class: "call-panel" }, status, timer, h("div", { class: "call-controls" }, mute, hold, transfer, hangup), slot),
  );
}
