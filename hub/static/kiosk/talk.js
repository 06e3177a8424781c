// Beyond the answer: following the dossier by SMS (phone, then the code sent
// there), questions to the assistant with its buttons, and a call back.
import { call, ApiFailure } from './api.js';
import { h, button } from './dom.js';
import { go as flows, nav, phonePad, PHONE, show, t, visit, wordsForKeys } from './frame.js';
import { keyboard } from './keyboard.js';

export function followPhone(problem) {
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
      return flows.failed(error);
    }
    followOtp();
  }, { class: 'primary', id: 'follow-send', disabled: true });
  show('follow', () => [
    h('h1', {}, t('followTitle')),
    typeof problem === 'string' ? h('p', { class: 'lead alert', role: 'alert' }, problem) : null,
    pad.node,
    nav(button(t('back'), flows.result, { class: 'secondary' }), go),
  ]);
}

function followed() {
  visit.followRequest = null;
  show('followed', () => [
    h('h1', {}, t('followTitle')),
    h('p', { class: 'lead', role: 'status' }, t('followed')),
    nav(button(t('back'), flows.result, { class: 'secondary' }), button(t('done'), flows.rate, { class: 'primary', id: 'done' })),
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
      return flows.failed(error);
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

export function ask() {
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
    const asking = visit;
    try {
      answer = await call('POST', '/kiosk/api/messages', { session: visit.session, text, client_id: crypto.randomUUID() });
    } catch (error) {
      return asking === visit ? flows.failed(error) : undefined;
    }
    if (asking !== visit) return;
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

export function callback() {
  visit.session = visit.session || crypto.randomUUID();
  let go;
  const pad = phonePad(t('phoneLabel'), (value) => (go.disabled = !PHONE.test(value)));
  go = button(t('callbackSend'), async () => {
    const note = visit.chat.filter((item) => item.from === 'citizen').map((item) => item.text).slice(-3).join(' / ');
    try {
      await call('POST', '/kiosk/api/callback', { session: visit.session, phone: pad.value(), note });
    } catch (error) {
      if (error instanceof ApiFailure && error.kind === 'invalid') return flows.failed(error, () => callback());
      return flows.failed(error);
    }
    show('callback-done', () => [h('h1', {}, t('callbackTitle')), h('p', { class: 'lead', role: 'status' }, t('callbackDone')), nav(button(t('done'), flows.rate, { class: 'primary' }))]);
  }, { class: 'primary', id: 'callback-send', disabled: true });
  show('callback', () => [h('h1', {}, t('callbackTitle')), h('p', { class: 'hint' }, t('callbackHint')), pad.node, nav(button(t('back'), ask, { class: 'secondary' }), go)]);
}
