// The kiosk: one screen at a time in <main id="screen">. Everything a visitor
// brings (the code, the digits, the dossier, the conversation, a phone) lives
// in `visit` and on the screen only; the idle reset drops both.
import { call, setKey, hasKey, ApiFailure } from './api.js';
import { answerView } from './answer.js';
import { h, button } from './dom.js';
import { announce, drawTools, forgetVisit, go as flows, kiosk, nav, show, t, visit, wordsForKeys } from './frame.js';
import { keyboard } from './keyboard.js';
import { listenForScanner, startCamera } from './scanner.js';
import { ask, followPhone } from './talk.js';

let idleTimer = 0;

// ----- privacy ----------------------------------------------------------------------------------

function touched() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (document.body.dataset.screen !== 'home' || visit.session || visit.code) {
      forgetVisit();
      home();
    }
  }, kiosk.idleSeconds * 1000);
}

for (const kind of ['pointerdown', 'keydown', 'input', 'touchstart']) {
  document.addEventListener(kind, touched, { capture: true, passive: true });
}

// ----- failures ---------------------------------------------------------------------------------

function failed(error, again) {
  if (!(error instanceof ApiFailure)) throw error;
  if (error.kind === 'busy') return busy();
  if (error.kind === 'key') return noKey();
  if (error.kind === 'limited') return limited(error.retryAfter);
  announce(t('invalid'));
  return again ? again(t('invalid')) : home();
}

function noKey() {
  show('key', () => [h('h1', {}, t('keyTitle')), h('p', { class: 'lead' }, t('keyText'))]);
}

function limited(seconds) {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  visit.digits = null;
  show('limited', () => [
    h('h1', {}, t('limitedTitle')),
    h('p', { class: 'lead alert', role: 'alert' }, t('limited', minutes)),
    nav(),
  ]);
}

// The service or the network is down: no visitor's data stays on screen, and
// the kiosk keeps asking (1 s, 2 s, 4 s … up to 30 s) until it answers.
let busyTry = 0;
function busy() {
  forgetVisit();
  let wait = Math.min(30, 2 ** busyTry);
  busyTry += 1;
  const countdown = h('p', { class: 'hint', id: 'busy-countdown' }, t('retrying', wait));
  show('busy', () => [h('h1', {}, t('busyTitle')), h('p', { class: 'lead', role: 'alert' }, t('busy')), countdown]);
  const tick = setInterval(() => {
    wait -= 1;
    if (document.body.dataset.screen !== 'busy') return clearInterval(tick);
    if (wait > 0) return (countdown.textContent = t('retrying', wait));
    clearInterval(tick);
    configure().then(
      () => {
        busyTry = 0;
        home();
      },
      (error) => (error instanceof ApiFailure && error.kind === 'key' ? noKey() : busy()),
    );
  }, 1000);
}

async function configure() {
  const config = await call('GET', '/kiosk/api/config');
  const seconds = Number(config.idle_seconds);
  if (seconds > 0) kiosk.idleSeconds = seconds;
}

// ----- screens ----------------------------------------------------------------------------------

function home() {
  show('home', () => [
    h('h1', {}, t('welcome')),
    h(
      'div',
      { class: 'home' },
      button(t('lookup'), scan, { class: 'big', id: 'go-lookup' }),
      button(t('ask'), ask, { class: 'big', id: 'go-ask' }),
      button(t('rate'), rate, { class: 'big', id: 'go-rate' }),
    ),
  ]);
}

function scan() {
  show('scan', () => [
    h('h1', {}, t('scanTitle')),
    h('p', { class: 'lead' }, t('scanHint')),
    h(
      'div',
      { class: 'choices' },
      button(t('useCamera'), camera, { class: 'big', id: 'use-camera' }),
      button(t('typeCode'), typeCode, { class: 'big', id: 'type-code' }),
    ),
    nav(),
  ]);
}

function camera() {
  const video = h('video', { class: 'camera', 'aria-label': t('video'), autoplay: true, muted: true, playsinline: true });
  const note = h('p', { class: 'hint', role: 'status' }, t('cameraHint'));
  show('camera', () => [h('h1', {}, t('cameraTitle')), video, note, nav(button(t('typeCode'), typeCode, { class: 'secondary' }))]);
  startCamera(video, (text) => scanned(text)).then(
    (stop) => {
      if (document.body.dataset.screen === 'camera') kiosk.stopCamera = stop;
      else stop();
    },
    () => {
      note.textContent = t('cameraFailed');
      note.classList.add('alert');
    },
  );
}

function scanned(text) {
  visit.qr = text.trim();
  visit.code = null;
  digits();
}

function typeCode() {
  let next;
  const board = keyboard('code', {
    label: t('codeLabel'),
    max: 40,
    words: wordsForKeys(),
    name: 'code',
    onChange: (value) => (next.disabled = value.trim().length < 4),
  });
  next = button(t('next'), () => {
    visit.code = board.value().trim();
    visit.qr = null;
    digits();
  }, { class: 'primary', id: 'code-next', disabled: true });
  show('code', () => [h('h1', {}, t('codeTitle')), board.node, nav(next)]);
}

function digits(problem) {
  let go;
  const pad = keyboard('digits', {
    label: t('digitsLabel'),
    max: 4,
    words: wordsForKeys(),
    name: 'digits',
    onChange: (value) => (go.disabled = !/^\d{4}$/.test(value)),
  });
  go = button(t('search'), () => lookup(pad.value()), { class: 'primary', id: 'lookup-go', disabled: true });
  show('digits', () => [
    h('h1', {}, t('digitsTitle')),
    problem ? h('p', { class: 'lead alert', role: 'alert' }, problem) : h('p', { class: 'hint' }, t('digitsHint')),
    pad.node,
    nav(go),
  ]);
}

async function lookup(digitsTyped) {
  visit.digits = digitsTyped;
  announce(t('searching'));
  const body = visit.qr ? { qr: visit.qr, digits: digitsTyped } : { code: visit.code, digits: digitsTyped };
  const asking = visit;
  let found;
  try {
    found = await call('POST', '/kiosk/api/lookup', body);
  } catch (error) {
    if (asking !== visit) return; // the visitor left (idle reset) while the kiosk asked
    visit.digits = null;
    if (error instanceof ApiFailure && (error.kind === 'unknown' || error.kind === 'invalid')) {
      announce(t('notFound'));
      return digits(t('notFound'));
    }
    return failed(error);
  }
  if (asking !== visit) return; // an answer for a visitor who is gone is never shown
  visit.dossier = found;
  announce('');
  result();
}

function result() {
  const d = visit.dossier;
  show('result', () => [
    h('h1', {}, t('resultTitle')),
    answerView(d),
    nav(button(t('follow'), followPhone, { class: 'primary', id: 'follow' }), button(t('done'), rate, { class: 'primary', id: 'done' })),
  ]);
}

// ----- rating -----------------------------------------------------------------------------------

function rate() {
  show('rate', () => [
    h('h1', {}, t('rateTitle')),
    h('p', { class: 'hint' }, t('rateHint')),
    h(
      'div',
      { class: 'stars', role: 'group', 'aria-label': t('rateTitle') },
      [1, 2, 3, 4, 5].map((score) => button(`${score} ★`, () => rated(score), { class: 'star', 'aria-label': t('stars', score), 'data-score': score })),
    ),
    nav(),
  ]);
}

async function rated(score) {
  try {
    await call('POST', '/kiosk/api/rating', { score });
  } catch (error) {
    return failed(error);
  }
  show('thanks', () => [h('h1', {}, t('thanks')), nav()]);
  // The visit is over: its details go now, not at the idle timeout.
  setTimeout(() => {
    if (document.body.dataset.screen === 'thanks') {
      forgetVisit();
      home();
    }
  }, 5000);
}

// ----- start ------------------------------------------------------------------------------------

function start() {
  Object.assign(flows, { home, result, rate, failed });
  const fragment = new URLSearchParams(location.hash.slice(1));
  setKey(fragment.get('k'));
  drawTools();
  listenForScanner((text) => {
    if (!hasKey() || ['busy', 'key', 'limited'].includes(document.body.dataset.screen)) return;
    forgetVisit();
    scanned(text);
  });
  if (!hasKey()) return noKey();
  home();
  touched();
  configure().then(touched, (error) => failed(error));
}

start();
