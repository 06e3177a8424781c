// What every screen shares: the kiosk's settings (language, text size), the
// visit (everything a visitor brings: the code, the digits, the dossier, the
// conversation, a phone), showing a screen, and `go`, the flows app.js
// registers so that the other modules can move between screens.
import { h, button } from './dom.js';
import { keyboard } from './keyboard.js';
import { STRINGS } from './strings.js';

const screen = document.getElementById('screen');
const tools = document.getElementById('tools');
const brand = document.getElementById('brand');
const announcer = document.getElementById('announce');

export const kiosk = { lang: 'vi', large: false, idleSeconds: 60, redraw: null, stopCamera: null };
export const go = { home: null, result: null, rate: null, failed: null };

function freshVisit() {
  return { session: null, code: null, qr: null, digits: null, dossier: null, chat: [], followRequest: null };
}

// Replaced, never emptied in place: an answer that arrives for the visit
// before can tell (`asking !== visit`) and is dropped.
export let visit = freshVisit();

export function stopCamera() {
  if (kiosk.stopCamera) {
    kiosk.stopCamera();
    kiosk.stopCamera = null;
  }
}

// Every personal detail goes: the visit's memory, the screen's words for it,
// the announcer; the next visitor starts in Vietnamese, normal text.
export function forgetVisit() {
  stopCamera();
  visit = freshVisit();
  announce('');
  kiosk.lang = 'vi';
  kiosk.large = false;
  drawTools();
}

export const t = (name, ...args) => {
  const value = STRINGS[kiosk.lang][name];
  return typeof value === 'function' ? value(...args) : value;
};

export function wordsForKeys() {
  return { erase: t('erase'), clear: t('clear'), space: t('space'), keyboard: t('keyboard') };
}

export const PHONE = /^(0|\+?84)\d{9}$/;

export function phonePad(label, onChange) {
  return keyboard('digits', { label, max: 15, words: wordsForKeys(), name: 'phone', onChange });
}

export function drawTools() {
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
export function show(name, draw) {
  stopCamera();
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

export function announce(text) {
  announcer.textContent = text;
}

export function nav(...extra) {
  return h('div', { class: 'nav' }, ...extra, button(t('home'), () => go.home(), { class: 'secondary' }));
}
