// The kiosk: one screen at a time in <main id="screen">. Everything a visitor
// brings (the code, the digits, the dossier, the conversation, a phone) lives
// in `visit` and on the screen only; the idle reset drops both.
import { call, setKey, hasKey, ApiFailure } from './api.js';
import { h, button } from './dom.js';
import { keyboard } from './keyboard.js';
import { listenForScanner, startCamera } from './scanner.js';
import { STRINGS } from './strings.js';

const screen = document.getElementById('screen');
const tools = document.getElementById('tools');
const brand = document.getElementById('brand');
const announcer = document.getElementById('announce');

const kiosk = { lang: 'vi', large: false, idleSeconds: 60, redraw: null };
let visit = newVisit();
let idleTimer = 0;
let stopCamera = null;

function newVisit() {
  return { session: null, code: null, qr: null, digits: null, dossier: null, chat: [], followRequest: null };
}

const t = (name, ...args) => {
  const value = STRINGS[kiosk.lang][name];
  return typeof value === 'function' ? value(...args) : value;
};

// ----- frame ------------------------------------------------------------------------------------

function drawTools() {
  brand.textContent = t('brand');
  document.documentElement.lang = kiosk.lang;
  document.documentElement.classList.toggle('large', kiosk.large);
  tools.replaceChildren(
    button(kiosk.large ? t('normal') : t('large'), () => {
      kiosk.large = !kiosk.large;
      drawTools();
    }, { class: 'tool', 'aria-pressed': String(kiosk.large), id: 'large-text' }),
    button(t('switch'), () => {
      kiosk.lang = t('switchLang');
      drawTools();
      if (kiosk.redraw) kiosk.redraw();
    }, { class: 'tool', lang: t('switchLang'), id: 'language' }),
  );
}

// Shows a screen; `draw` builds its content and is kept so that the language
// switch can build it again in the other language.
function show(name, draw) {
  if (stopCamera) {
    stopCamera();
    stopCamera = null;
  }
  kiosk.redraw = () => {
    screen.replaceChildren(...[draw()].flat(Infinity).filter((node) => node !== null && node !== undefined && node !== false));
    screen.dataset.screen = name;
    document.body.dataset.screen = name;
  };
  kiosk.redraw();
  const heading = screen.querySelector('h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

function announce(text) {
  announcer.textContent = text;
}

function nav(...extra) {
  return h('div', { class: 'nav' }, ...extra, button(t('home'), () => home(), { class: 'secondary' }));
}

// ----- privacy ----------------------------------------------------------------------------------

// Every personal detail goes: the visit's memory, the screen, the announcer.
function resetVisit() {
  if (stopCamera) {
    stopCamera();
    stopCamera = null;
  }
  visit = newVisit();
  announce('');
  kiosk.lang = 'vi';
  kiosk.large = false;
  drawTools();
}

function touched() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (document.body.dataset.screen !== 'home' || visit.session || visit.code) {
      resetVisit();
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
  resetVisit();
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
      if (document.body.dataset.screen === 'camera') stopCamera = stop;
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

function wordsForKeys() {
  return { erase: t('erase'), clear: t('clear'), space: t('space'), keyboard: t('keyboard') };
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
  try {
    visit.dossier = await call('POST', '/kiosk/api/lookup', body);
  } catch (error) {
    visit.digits = null;
    if (error instanceof ApiFailure && (error.kind === 'unknown' || error.kind === 'invalid')) {
      announce(t('notFound'));
      return digits(t('notFound'));
    }
    return failed(error);
  }
  announce('');
  result();
}

const ZONE = 'Asia/Ho_Chi_Minh';
function date(value, withTime = false) {
  if (!value) return '';
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) return String(value);
  const options = withTime
    ? { timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }
    : { timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric' };
  return new Intl.DateTimeFormat(kiosk.lang === 'vi' ? 'vi-VN' : 'en-GB', options).format(parsed);
}

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(([, value]) => value).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function result() {
  const d = visit.dossier;
  show('result', () => {
    const overdue = d.overdue
      ? h(
          'section',
          { class: 'notice warn', 'aria-labelledby': 'overdue-title' },
          h('h2', { id: 'overdue-title' }, t('overdueTitle')),
          h('p', {}, d.overdue.apology || d.overdue.message || t('overdueApology')),
          d.overdue.reason ? h('p', {}, d.overdue.reason) : null,
          newDateOf(d.overdue) ? facts([[t('newDate'), date(newDateOf(d.overdue))]]) : null,
        )
      : null;
    const supplement = Array.isArray(d.supplement) && d.supplement.length
      ? h(
          'section',
          { class: 'notice', 'aria-labelledby': 'supplement-title' },
          h('h2', { id: 'supplement-title' }, t('supplementTitle')),
          h('ul', {}, d.supplement.map((item) => h('li', {}, typeof item === 'string' ? item : item.name || item.title || JSON.stringify(item)))),
        )
      : null;
    const collect = d.collect
      ? h(
          'section',
          { class: 'notice', 'aria-labelledby': 'collect-title' },
          h('h2', { id: 'collect-title' }, t('collectTitle')),
          facts([[t('where'), d.collect.where], [t('when'), d.collect.when]]),
        )
      : null;
    const steps = (d.timeline || []).map((step, index, all) =>
      h(
        'li',
        { class: index === all.length - 1 ? 'step current' : 'step', 'aria-current': index === all.length - 1 ? 'step' : null },
        h('span', { class: 'step-label' }, step.label || step.status),
        h('span', { class: 'step-date' }, date(step.at, true)),
        step.note ? h('span', { class: 'step-note' }, step.note) : null,
      ),
    );
    return [
      h('h1', {}, t('resultTitle')),
      h('p', { class: 'status', id: 'status-label' }, h('span', { class: 'status-term' }, `${t('status')}: `), d.status_label || d.status),
      overdue,
      supplement,
      facts([
        [t('code'), d.code],
        [t('procedure'), d.procedure],
        [t('agency'), d.agency],
        [t('applicant'), d.applicant],
        [t('received'), date(d.received_at)],
        [t('due'), date(d.due_at)],
      ]),
      steps.length ? h('section', { 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, t('timeline')), h('ol', { class: 'timeline' }, steps)) : null,
      collect,
      nav(button(t('follow'), followPhone, { class: 'primary', id: 'follow' }), button(t('done'), rate, { class: 'primary', id: 'done' })),
    ];
  });
}

function newDateOf(overdue) {
  return overdue.new_due_at || null; // due_at there is the date that was missed
}

// ----- follow by SMS ----------------------------------------------------------------------------

function phonePad(label, onChange) {
  return keyboard('digits', { label, max: 15, words: wordsForKeys(), name: 'phone', onChange });
}

const PHONE = /^(0|\+?84)\d{9}$/;

function followPhone(problem) {
  let go;
  const pad = phonePad(t('phoneLabel'), (value) => (go.disabled = !PHONE.test(value)));
  go = button(t('sendCode'), async () => {
    try {
      const answer = await call('POST', '/kiosk/api/follow', { code: visit.dossier.code, digits: visit.digits, phone: pad.value() });
      if (answer.following) return followed();
      visit.followRequest = answer.request_id;
    } catch (error) {
      // 409: the number opted out, or the dossier has all its followers; the service says which.
      if (error instanceof ApiFailure && error.status === 409 && error.message) return followPhone(error.message);
      if (error instanceof ApiFailure && (error.kind === 'invalid' || error.kind === 'unknown')) return followPhone(t('badPhone'));
      return failed(error);
    }
    followOtp();
  }, { class: 'primary', id: 'follow-send', disabled: true });
  show('follow', () => [
    h('h1', {}, t('followTitle')),
    typeof problem === 'string' ? h('p', { class: 'lead alert', role: 'alert' }, problem) : null,
    pad.node,
    nav(button(t('back'), result, { class: 'secondary' }), go),
  ]);
}

function followed() {
  visit.followRequest = null;
  show('followed', () => [
    h('h1', {}, t('followTitle')),
    h('p', { class: 'lead', role: 'status' }, t('followed')),
    nav(button(t('back'), result, { class: 'secondary' }), button(t('done'), rate, { class: 'primary', id: 'done' })),
  ]);
}

function followOtp(problem) {
  let go;
  const pad = keyboard('digits', { label: t('otpLabel'), max: 8, words: wordsForKeys(), name: 'otp', onChange: (value) => (go.disabled = value.length < 4) });
  go = button(t('confirm'), async () => {
    try {
      await call('POST', '/kiosk/api/follow/confirm', { request_id: visit.followRequest, otp: pad.value() });
    } catch (error) {
      if (error instanceof ApiFailure && (error.kind === 'invalid' || error.kind === 'unknown')) return followOtp(t('wrongOtp'));
      return failed(error);
    }
    followed();
  }, { class: 'primary', id: 'otp-go', disabled: true });
  show('otp', () => [
    h('h1', {}, t('otpTitle')),
    h('p', { class: problem ? 'lead alert' : 'hint', role: problem ? 'alert' : null }, problem || t('otpHint')),
    pad.node,
    nav(go),
  ]);
}

// ----- questions --------------------------------------------------------------------------------

const HANDOFF = '/request_human';

function ask() {
  visit.session = visit.session || crypto.randomUUID();
  const log = h('ol', { class: 'chat', id: 'chat', 'aria-live': 'polite' });
  const drawLog = () => log.replaceChildren(...visit.chat.map(chatItem));
  const chatItem = (item) =>
    h(
      'li',
      { class: `bubble ${item.from}` },
      h('span', { class: 'who' }, item.from === 'citizen' ? t('you') : t('assistant')),
      h('span', { class: 'text' }, item.text),
      item.buttons && item.buttons.length
        ? h('div', { class: 'reply-buttons' }, item.buttons.map((b) => button(b.title, () => (b.payload === HANDOFF ? callback() : send(b.payload, b.title)), { class: 'secondary' })))
        : null,
    );
  const board = keyboard('text', { label: t('questionLabel'), max: 500, words: wordsForKeys(), editable: true, name: 'question' });
  const send = async (text, shown = text) => {
    text = text.trim();
    if (!text) return;
    visit.chat.push({ from: 'citizen', text: shown });
    board.clear();
    drawLog();
    let answer;
    try {
      answer = await call('POST', '/kiosk/api/messages', { session: visit.session, text, client_id: crypto.randomUUID() });
    } catch (error) {
      return failed(error);
    }
    for (const reply of answer.replies || []) visit.chat.push({ from: 'assistant', text: reply.text, buttons: reply.buttons || [] });
    if (document.body.dataset.screen === 'ask') drawLog();
  };
  board.field.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') send(board.value());
  });
  show('ask', () => {
    drawLog();
    return [
      h('h1', {}, t('askTitle')),
      h('p', { class: 'hint' }, t('askHint')),
      h('div', { class: 'suggestions' }, t('suggestions').map((q) => button(q, () => send(q), { class: 'secondary', lang: 'vi' }))),
      log,
      board.node,
      nav(button(t('callbackOffer'), callback, { class: 'secondary', id: 'callback' }), button(t('send'), () => send(board.value()), { class: 'primary', id: 'ask-send' })),
    ];
  });
}

function callback() {
  visit.session = visit.session || crypto.randomUUID();
  let go;
  const pad = phonePad(t('phoneLabel'), (value) => (go.disabled = !PHONE.test(value)));
  go = button(t('callbackSend'), async () => {
    const note = visit.chat.filter((item) => item.from === 'citizen').map((item) => item.text).slice(-3).join(' / ');
    try {
      await call('POST', '/kiosk/api/callback', { session: visit.session, phone: pad.value(), note });
    } catch (error) {
      if (error instanceof ApiFailure && error.kind === 'invalid') return failed(error, () => callback());
      return failed(error);
    }
    show('callback-done', () => [h('h1', {}, t('callbackTitle')), h('p', { class: 'lead', role: 'status' }, t('callbackDone')), nav(button(t('done'), rate, { class: 'primary' }))]);
  }, { class: 'primary', id: 'callback-send', disabled: true });
  show('callback', () => [h('h1', {}, t('callbackTitle')), h('p', { class: 'hint' }, t('callbackHint')), pad.node, nav(button(t('back'), ask, { class: 'secondary' }), go)]);
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
      resetVisit();
      home();
    }
  }, 5000);
}

// ----- start ------------------------------------------------------------------------------------

function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  setKey(fragment.get('k'));
  drawTools();
  listenForScanner((text) => {
    if (!hasKey() || ['busy', 'key', 'limited'].includes(document.body.dataset.screen)) return;
    resetVisit();
    scanned(text);
  });
  if (!hasKey()) return noKey();
  home();
  touched();
  configure().then(touched, (error) => failed(error));
}

start();
