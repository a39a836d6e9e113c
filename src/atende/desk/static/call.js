// The call panel of a voice task: the call's state and length and its controls (mute, hold,
// transfer to a queue or an agent, cold or warm, hang up), through the voice API, which lets an
// agent act only on their own calls. With no Twilio softphone configured (the demo's sandbox),
// the panel is how the agent runs the call.

import { api, formatDuration, h, reportError, secondsSince, t, toast } from "./desk.js";

function call(item, action, body) {
  return api("POST", `/api/calls/${encodeURIComponent(item.call_sid)}/${action}`, body);
}

function transferForm(item, targets, onDone) {
  const kind = h(
    "select",
    { id: "transfer-kind" },
    h("option", { value: "cold" }, t("call.cold")),
    h("option", { value: "warm" }, t("call.warm")),
  );
  const target = h(
    "select",
    { id: "transfer-target" },
    ...targets.queues.map((queue) => h("option", { value: `queue:${queue.sid}` }, `${t("call.queue")}: ${queue.name}`)),
    ...targets.workers.map((worker) => h("option", { value: `worker:${worker.sid}` }, `${t("call.agent")}: ${worker.name}`)),
  );
  const form = h(
    "form",
    { class: "transfer-form stack card" },
    h("h3", {}, t("call.transfer")),
    h(
      "div",
      { class: "form-grid" },
      h("div", { class: "field" }, h("label", { for: "transfer-target" }, t("call.transfer_to")), target),
      h("div", { class: "field" }, h("label", { for: "transfer-kind" }, t("call.transfer_mode")), kind),
    ),
    h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, t("call.transfer_now"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [type, sid] = target.value.split(":");
    try {
      await call(item, "transfer", { kind: kind.value, [`${type}_sid`]: sid });
      toast(t("call.transferred"));
      onDone(kind.value);
    } catch (error) {
      reportError(error);
    }
  });
  return form;
}

export function renderCall(container, item, { onEnded }) {
  const state = { muted: false, hold: false, warm: false };
  const status = h("div", { class: "call-status", role: "status", id: "call-status" }, t("call.in_progress"));
  const timer = h("div", { class: "call-timer", dataset: { since: item.accepted_at || item.created_at } }, formatDuration(secondsSince(item.accepted_at)));
  const slot = h("div", { class: "transfer-slot" });
  const showStatus = () => {
    status.textContent = state.hold ? t("call.on_hold") : state.muted ? t("call.muted") : t("call.in_progress");
  };
  const toggle = (button, flag, onAction, offAction, onLabel, offLabel) => {
    button.addEventListener("click", async () => {
      try {
        await call(item, state[flag] ? offAction : onAction);
        state[flag] = !state[flag];
        button.setAttribute("aria-pressed", String(state[flag]));
        button.textContent = state[flag] ? onLabel : offLabel;
        showStatus();
      } catch (error) {
        reportError(error);
      }
    });
    return button;
  };
  const mute = h("button", { type: "button", class: "button", id: "call-mute", "aria-pressed": "false" }, t("call.mute"));
  const showMuted = (muted) => {
    state.muted = muted;
    mute.setAttribute("aria-pressed", String(muted));
    mute.textContent = muted ? t("call.unmute") : t("call.mute");
    showStatus();
  };
  // A call answered in the browser softphone has one microphone switch: the SDK's (the
  // softphone's own Mudo and this button drive it alike). Otherwise the agent's leg in the
  // conference is muted through the voice API (a desk phone, a mobile, the sandbox).
  mute.addEventListener("click", async () => {
    const softphone = window.deskSoftphone;
    if (softphone?.state === "on_call") {
      softphone.toggleMute();
      return;
    }
    try {
      await call(item, state.muted ? "unmute" : "mute");
      showMuted(!state.muted);
    } catch (error) {
      reportError(error);
    }
  });
  const onSoftphone = (event) => {
    if (!mute.isConnected) {
      document.removeEventListener("desk:softphone", onSoftphone);
      return;
    }
    if (event.detail.state === "on_call") showMuted(event.detail.muted);
  };
  document.addEventListener("desk:softphone", onSoftphone);
  if (window.deskSoftphone?.state === "on_call") showMuted(window.deskSoftphone.muted);
  const hold = toggle(
    h("button", { type: "button", class: "button", id: "call-hold", "aria-pressed": "false" }, t("call.hold")),
    "hold",
    "hold",
    "resume",
    t("call.resume"),
    t("call.hold"),
  );
  const transfer = h("button", { type: "button", class: "button", id: "call-transfer", "aria-expanded": "false" }, t("call.transfer"));
  transfer.addEventListener("click", async () => {
    if (slot.firstChild) {
      slot.replaceChildren();
      transfer.setAttribute("aria-expanded", "false");
      return;
    }
    try {
      const targets = await api("GET", "/api/desk/transfer-targets");
      slot.replaceChildren(
        transferForm(item, targets, (kind) => {
          // Voice holds the customer while the target is reached.
          showHeld(true);
          slot.replaceChildren(kind === "warm" ? warmControls() : coldWaiting());
        }),
      );
      transfer.setAttribute("aria-expanded", "true");
    } catch (error) {
      reportError(error);
    }
  });
  const warmControls = () =>
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", class: "button primary", onclick: () => call(item, "transfer/complete").then(onEnded, reportError) }, t("call.complete_transfer")),
      h("button", { type: "button", class: "button", onclick: () => call(item, "transfer/cancel").then(backToCustomer, reportError) }, t("call.cancel_transfer")),
    );
  const showHeld = (held) => {
    state.hold = held;
    hold.setAttribute("aria-pressed", String(held));
    hold.textContent = held ? t("call.resume") : t("call.hold");
    showStatus();
  };
  const backToCustomer = () => {
    slot.replaceChildren();
    showHeld(false);
  };
  // A cold transfer ends for this agent when the target answers: voice then takes this leg out
  // of the conference and moves the task to wrap-up, which the page follows. Until then the
  // agent may take the customer back.
  const coldWaiting = () =>
    h(
      "div",
      { class: "stack", id: "transfer-waiting" },
      h("p", { class: "muted", role: "status" }, t("call.transfer_waiting")),
      h("div", { class: "row" }, h("button", { type: "button", class: "button", onclick: () => call(item, "transfer/cancel").then(backToCustomer, reportError) }, t("call.cancel_transfer"))),
    );
  const hangup = h("button", { type: "button", class: "button danger solid", id: "call-hangup" }, t("call.hangup"));
  hangup.addEventListener("click", async () => {
    try {
      await call(item, "hangup");
    } catch (error) {
      reportError(error);
    }
    onEnded();
  });
  const controls = item.call_sid
    ? h("div", { class: "call-controls" }, mute, hold, transfer, hangup)
    : h("p", { class: "muted" }, t("call.no_call"));
  container.replaceChildren(h("div", { class: "call-panel" }, status, timer, controls, slot));
  if (item.call_sid) showCallState(item, { showHeld, showMuted, mute });
}

// The panel is drawn afresh while the call goes on (after a reload, or coming back from another
// task): the customer may be on hold and the agent muted in the conference, so it starts from
// what voice holds, unless the agent pressed a button first (that answer is newer).
async function showCallState(item, { showHeld, showMuted, mute }) {
  const pressed = new Promise((resolve) => mute.parentElement.addEventListener("click", resolve, { once: true }));
  let current;
  try {
    current = await Promise.race([api("GET", `/api/calls/${encodeURIComponent(item.call_sid)}`), pressed]);
  } catch {
    return; // the buttons still work; they start from "in progress"
  }
  if (!current?.sid || !mute.isConnected) return;
  showHeld(Boolean(current.on_hold));
  const leg = current.legs.find((one) => one.role === "agent" && one.worker_sid === current.worker_sid);
  if (window.deskSoftphone?.state !== "on_call") showMuted(Boolean(leg?.muted));
}
