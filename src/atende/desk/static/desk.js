// Shared by every desk page: its configuration and words, API calls with the CSRF token,
// dates in the company's time zone, small DOM helpers and the self-healing push stream.

const configElement = document.getElementById("desk-config");
export const config = configElement ? JSON.parse(configElement.textContent) : { messages: {} };

export function t(key, params = {}) {
  let text = config.messages?.[key] ?? key;
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

// ---------- API ----------

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// A FormData body (a file upload) goes as multipart; anything else as JSON.
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (config.csrf && method !== "GET") headers["X-CSRF-Token"] = config.csrf;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined || form ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { detail: t("error.network") });
  }
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new ApiError(401, { detail: t("error.signed_out") });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data || {});
  return data;
}

// ---------- server clock ----------

// Durations ("3 min in Pausa") are measured against the server's clock, so a laptop whose
// clock is off still shows the right times.
let clockOffset = 0;
export function syncClock(serverNowIso) {
  if (serverNowIso) clockOffset = Date.parse(serverNowIso) - Date.now();
}
export function now() {
  return Date.now() + clockOffset;
}
export function secondsSince(iso) {
  if (!iso) return 0;
  return Math.max(0, Math.floor((now() - Date.parse(iso)) / 1000));
}
export function secondsUntil(iso) {
  if (!iso) return 0;
  return Math.max(0, Math.ceil((Date.parse(iso) - now()) / 1000));
}

// ---------- formatting ----------

const locale = config.lang === "en" ? "en-GB" : "pt-BR";
const zone = config.timezone || "America/Sao_Paulo";
const timeFormat = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(locale, {
  timeZone: zone,
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const shortFormat = new Intl.DateTimeFormat(locale, {
  timeZone: zone,
  day: "2-digit",
  month: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});
const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: zone });
const numberFormat = new Intl.NumberFormat(locale);

export function formatTime(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "";
}
export function formatDateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "";
}
// "14:32" today, "25/11 14:32" another day (in the company's zone).
export function formatWhen(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return dayFormat.format(date) === dayFormat.format(new Date(now())) ? timeFormat.format(date) : shortFormat.format(date);
}
export function formatNumber(value) {
  return value == null ? "–" : numberFormat.format(value);
}
export function formatDuration(totalSeconds) {
  if (totalSeconds == null || Number.isNaN(totalSeconds)) return "–";
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}
export function formatPercent(value) {
  return value == null ? "–" : `${Math.round(value)}%`;
}

// ---------- DOM ----------

// h("button", { class: "button", onclick: fn, "aria-label": "…" }, "text", child…)
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "style") {
      // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
      element.style.cssText = value;
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name in element && typeof value !== "string") {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function byId(id) {
  return document.getElementById(id);
}

export function toast(message, kind = "info") {
  const box = byId("toasts");
  if (!box) return;
  const item = h("div", { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 7000 : 4000);
}

// An API's refusal in the page's language when its kind (the problem's title) has words in the
// locale ("problem.<title>"), else as the server said it; anything else is unexpected.
export function reportError(error) {
  if (!(error instanceof ApiError)) {
    toast(t("error.unexpected"), "error");
    console.error(error);
    return;
  }
  const key = `problem.${error.problem?.title}`;
  toast(config.messages?.[key] ?? error.message, "error");
}

// Calls `fn` at most once per `wait` ms, always running the last call (for refreshes).
export function throttle(fn, wait) {
  let timer = null;
  let pending = false;
  return () => {
    if (timer) {
      pending = true;
      return;
    }
    fn();
    timer = setTimeout(function release() {
      timer = null;
      if (pending) {
        pending = false;
        fn();
        timer = setTimeout(release, wait);
      }
    }, wait);
  };
}

// ---------- connection indicator ----------

export function showConnection(state) {
  const element = byId("connection");
  if (!element) return;
  element.hidden = false;
  element.className = `connection ${state}`;
  element.textContent = t(`connection.${state}`);
  document.body.dataset.connection = state;
}

// ---------- push stream ----------

const HEARTBEAT_GRACE_MS = 40_000;

// A WebSocket that resumes after sleep or network loss from the last sequence it saw, so no
// event is lost; `onOpen(reconnected)` lets the page re-read its state after a gap.
export class PushStream {
  constructor(path, { after = null, onEvent, onOpen } = {}) {
    this.path = path;
    this.lastSeq = after;
    this.onEvent = onEvent;
    this.onOpen = onOpen;
    this.attempt = 0;
    this.opened = false;
    this.socket = null;
    this.stopped = true;
    this.nudge = () => {
      if (!this.socket && !this.stopped) {
        this.attempt = 0;
        this.connect();
      }
    };
    this.dropped = () => this.socket?.close();
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.nudge);
    window.addEventListener("offline", this.dropped);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.nudge();
    });
    this.connect();
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) {
      showConnection("offline");
      return;
    }
    const url = new URL(this.path, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (this.lastSeq !== null && this.lastSeq !== undefined) url.searchParams.set("after", this.lastSeq);
    showConnection("connecting");
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      const reconnected = this.opened;
      this.opened = true;
      this.attempt = 0;
      showConnection("online");
      this.touch();
      this.onOpen?.(reconnected);
    });
    socket.addEventListener("message", (message) => {
      this.touch();
      const data = JSON.parse(message.data);
      if (data.type !== "event") return;
      if (this.lastSeq === null || this.lastSeq === undefined || data.seq > this.lastSeq) {
        this.lastSeq = data.seq;
        this.onEvent?.(data);
      }
    });
    socket.addEventListener("close", () => {
      if (socket !== this.socket) return;
      this.socket = null;
      clearTimeout(this.watchdog);
      if (!this.stopped) this.retry();
    });
    socket.addEventListener("error", () => socket.close());
  }

  // A laptop waking from sleep may hold a socket that is silently dead; the server sends a
  // heartbeat every 15 s, so a long silence means reconnect.
  touch() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.socket?.close(), HEARTBEAT_GRACE_MS);
  }

  retry() {
    showConnection(navigator.onLine ? "connecting" : "offline");
    if (!navigator.onLine) return;
    const delay = Math.min(10_000, 500 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
