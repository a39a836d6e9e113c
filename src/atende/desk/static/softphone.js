// The browser softphone of a Twilio voice channel. The Twilio Voice JS SDK is installed by npm
// and served by the desk (never copied into the repository); without it, or without a Twilio
// channel, the panel says so and the call panel still drives calls through the voice API.
//
// Accepting a voice offer makes voice dial this browser (`client:<identity>`) into the caller's
// conference; the incoming leg then shows here with Atender/Recusar, tied to the voice task the
// agent holds. The panel shows the device's state as it really is: a browser that cannot reach
// Twilio is shown offline, never ready.

import { api, h, t, toast } from "./desk.js";

const STATES = ["unavailable", "registering", "ready", "offline", "incoming", "on_call"];

export class Softphone {
  constructor(container, { voiceTask }) {
    this.container = container;
    this.voiceTask = voiceTask;
    this.device = null;
    this.call = null;
    this.muted = false;
    this.state = "unavailable";
    this.detail = "";
    this.channelSid = null;
  }

  // Called with each snapshot's `softphone`; starts the device once.
  async start(softphone) {
    this.container.hidden = !softphone;
    // The leg may ring before the snapshot holding its task arrives: name the caller now.
    if (this.state === "incoming") this.show("incoming", this.detail);
    if (!softphone || this.channelSid) return;
    this.channelSid = softphone.channel_sid;
    if (!softphone.sdk_url || !(await loadScript(softphone.sdk_url)) || !window.Twilio?.Device) {
      this.show("unavailable", t("softphone.sdk_missing"));
      return;
    }
    window.deskSoftphone = this;
    // Back from a network drop: try again at once rather than wait for the agent.
    window.addEventListener("online", () => {
      if (this.state === "offline") this.connect();
    });
    await this.connect();
  }

  // A new Device with a fresh token; an old one is destroyed first (Reconectar).
  async connect() {
    this.device?.destroy();
    this.device = null;
    this.show("registering");
    try {
      const device = new window.Twilio.Device(await this.token(), {
        codecPreferences: ["opus", "pcmu"],
        closeProtection: true,
        logLevel: "error",
      });
      this.device = device;
      this.listen(device);
      await device.register();
    } catch (error) {
      this.show("offline", describe(error));
    }
  }

  async token() {
    const query = new URLSearchParams({ channel_sid: this.channelSid });
    const answer = await api("GET", `/api/voice/token?${query}`);
    return answer.token;
  }

  listen(device) {
    // A destroyed Device (after Reconectar) may still report; only the current one speaks.
    const on = (name, handler) => device.on(name, (...args) => device === this.device && handler(...args));
    // While a call rings or is up, its controls stay: the device re-registering does not end it.
    const settle = (state, detail) => this.show(this.call ? this.state : state, detail);
    on("registering", () => settle("registering"));
    on("registered", () => settle("ready"));
    on("unregistered", () => settle("offline", this.detail));
    on("error", (error) => settle("offline", describe(error)));
    on("tokenWillExpire", async () => {
      try {
        device.updateToken(await this.token());
      } catch (error) {
        this.show("offline", describe(error));
      }
    });
    on("incoming", (call) => this.incoming(call));
  }

  incoming(call) {
    this.call = call;
    this.muted = false;
    call.on("accept", () => this.show("on_call"));
    for (const ended of ["disconnect", "cancel", "reject", "error"]) {
      call.on(ended, () => {
        if (this.call !== call) return;
        this.call = null;
        this.show(this.device?.state === "registered" ? "ready" : "offline");
      });
    }
    this.show("incoming");
  }

  show(state, detail = "") {
    this.state = STATES.includes(state) ? state : "offline";
    this.detail = detail;
    const task = this.voiceTask();
    const pill = h(
      "span",
      { class: `softphone-state ${this.state}`, id: "softphone-state", dataset: { state: this.state } },
      t(`softphone.${this.state}`),
    );
    const parts = [h("span", { class: "label" }, t("softphone.title")), pill];
    // The SDK's own words are English and technical: the agent reads why in their language,
    // the SDK's message stays in the tooltip for whoever supports them.
    if (detail) parts.push(h("span", { class: "muted small softphone-detail", title: detail }, summary(detail)));
    if (this.state === "offline") {
      parts.push(h("button", { type: "button", class: "button small", id: "softphone-retry", onclick: () => this.connect() }, t("softphone.retry")));
    }
    if (this.state === "incoming") parts.push(...this.incomingControls(task));
    if (this.state === "on_call") parts.push(...this.callControls());
    this.container.replaceChildren(...parts);
    // The call panel shows the same microphone state (call.js).
    document.dispatchEvent(new CustomEvent("desk:softphone", { detail: { state: this.state, muted: this.muted } }));
  }

  incomingControls(task) {
    // Voice dials the browser from the caller's number, so the leg names them even before
    // the task is in the snapshot.
    const who = (task && (task.customer_name || task.customer_address)) || this.call?.parameters?.From || null;
    return [
      h("span", { class: "softphone-caller" }, who ? t("softphone.call_from", { customer: who }) : t("softphone.call")),
      h("button", { type: "button", class: "button success small", id: "softphone-answer", onclick: () => this.call?.accept() }, t("softphone.answer")),
      h("button", { type: "button", class: "button danger small", id: "softphone-decline", onclick: () => this.decline() }, t("softphone.decline")),
    ];
  }

  callControls() {
    return [
      h(
        "button",
        { type: "button", class: "button small", id: "softphone-mute", "aria-pressed": String(this.muted), onclick: () => this.toggleMute() },
        this.muted ? t("softphone.unmute") : t("softphone.mute"),
      ),
      h("button", { type: "button", class: "button danger solid small", id: "softphone-hangup", onclick: () => this.call?.disconnect() }, t("softphone.hangup")),
    ];
  }

  decline() {
    // Voice puts the caller back in the queue when the agent's leg is not answered.
    this.call?.reject();
    toast(t("softphone.declined"));
  }

  toggleMute() {
    if (!this.call) return;
    this.muted = !this.muted;
    this.call.mute(this.muted);
    this.show("on_call");
  }
}

function summary(detail) {
  const code = /\((\d+)\)$/.exec(detail);
  // Twilio's codes (31005 and the like) mean Twilio could not be reached or refused; anything
  // else (our token endpoint's answer) is shown as it is.
  return code ? t("softphone.error_code", { code: code[1] }) : detail;
}

function describe(error) {
  if (!error) return "";
  const code = error.code ? ` (${error.code})` : "";
  return `${error.message || error.name || String(error)}${code}`;
}

function loadScript(src) {
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => resolve(true);
    script.onerror = () => resolve(false);
    document.head.append(script);
  });
}
