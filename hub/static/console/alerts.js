import { announce } from "./dom.js";
import { t } from "./i18n.js";
import { renderQueue } from "./queue.js";
import { state } from "./state.js";

// ----- alerts: title badge and a short beep --------------------------------------------------
export let audio = null;
export function unlockAudio() {
  // Browsers start audio only after a gesture: the context is made on the first one.
  if (audio) return;
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  try {
    audio = new Context();
  } catch (error) {
    audio = null;
  }
}

export function beep() {
  if (!audio) return;
  try {
    if (audio.state === "suspended") audio.resume();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
  } catch (error) {
    /* no sound is no reason to lose the alert */
  }
}

export function updateTitle() {
  const n = state.alerts.size;
  document.title = (n ? `(${n}) ` : "") + state.baseTitle;
}

export function alertFor(conversationId, key) {
  state.alerts.add(conversationId);
  updateTitle();
  beep();
  announce(t(key));
  document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
  renderQueue();
}

export function seen(conversationId) {
  if (state.alerts.delete(conversationId)) updateTitle();
}
