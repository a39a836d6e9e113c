// Announcing new work: a short two-tone beep (WebAudio, no sound file) and, when the desk is
// not the visible tab, a browser notification. Browsers only let a page make sound after the
// person interacted with it, hence the "Ativar alertas" button.

import { t } from "./desk.js";

let audio = null;
const originalTitle = document.title;
let titleTimer = null;

function context() {
  if (!audio) {
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return null;
    audio = new AudioContextClass();
  }
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

function tone(ctx, frequency, start, duration) {
  const oscillator = ctx.createOscillator();
  const gain = ctx.createGain();
  oscillator.type = "sine";
  oscillator.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
  oscillator.connect(gain).connect(ctx.destination);
  oscillator.start(start);
  oscillator.stop(start + duration + 0.02);
}

export function beep() {
  const ctx = context();
  document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
  if (!ctx) return;
  const now = ctx.currentTime;
  tone(ctx, 880, now, 0.18);
  tone(ctx, 1175, now + 0.22, 0.22);
}

export function enableAlerts(button) {
  context();
  if ("Notification" in window && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
  button.setAttribute("aria-pressed", "true");
  button.textContent = t("agent.alerts_on");
  beep();
}

function flashTitle(title) {
  clearInterval(titleTimer);
  let on = false;
  titleTimer = setInterval(() => {
    on = !on;
    document.title = on ? `● ${title}` : originalTitle;
  }, 1000);
  const stop = () => {
    clearInterval(titleTimer);
    document.title = originalTitle;
    window.removeEventListener("focus", stop);
  };
  window.addEventListener("focus", stop);
}

export function announce(title, body) {
  beep();
  if (document.visibilityState !== "visible" || !document.hasFocus()) flashTitle(title);
  if ("Notification" in window && Notification.permission === "granted" && document.visibilityState !== "visible") {
    const notification = new Notification(title, { body, tag: "atende-offer", requireInteraction: true });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
  }
}
