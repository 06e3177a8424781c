/* Tổng đài web chat widget (issue 13, docs/KIOSK_WEBCHAT.md).
 *
 * One classic script, no framework, no build step: the host page adds
 * <script src="https://SERVICE/widget.js" async data-title="..."></script>
 * and nothing else (no inline script: CSP-friendly). The widget lives in an
 * open shadow root (open so that axe-core and the tests can see into it) and
 * styles itself with a constructed stylesheet, which the host's CSS cannot
 * reach and its style-src does not have to allow.
 *
 * What it must never do is lose a message (rasa-webchat #166/#283/#290,
 * Chatwoot #12457): the session token stays in localStorage, history is read
 * again after every (re)connection, messages are kept by server id (a
 * duplicate from the socket and the POST's answer is dropped), and what the
 * citizen types while offline waits in an outbox, also in localStorage,
 * sent with a client_id so that a resend is answered once. */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || window.__tongdaiWebchat) return; // twice on one page: one widget
  window.__tongdaiWebchat = true;

  var BASE = new URL(script.src, location.href).origin;
  var WS_BASE = BASE.replace(/^http/, 'ws');
  var KEY = 'tongdai-webchat:' + BASE;
  var BACKOFF_MIN = 500, BACKOFF_MAX = 15000;

  var WORDS = {
    vi: {
      title: 'Hỏi đáp trực tuyến',
      close: 'Đóng hộp trò chuyện',
      log: 'Các tin nhắn',
      input: 'Nội dung câu hỏi',
      placeholder: 'Nhập câu hỏi của Ông/Bà…',
      send: 'Gửi',
      typing: 'Trợ lý đang trả lời…',
      sending: 'đang chờ gửi',
      you: 'Ông/Bà',
      assistant: 'Trợ lý ảo',
      agent: 'Cán bộ',
      online: 'Đã kết nối',
      offline: 'Mất kết nối, đang thử lại… Tin nhắn của Ông/Bà sẽ được gửi khi có kết nối.',
      contactOpen: 'Để lại số điện thoại hoặc email',
      contactHint: 'Cán bộ trả lời sau khi Ông/Bà đóng trang sẽ được gửi tới số điện thoại hoặc email này.',
      contactLabel: 'Số điện thoại hoặc email',
      contactSave: 'Lưu liên hệ',
      contactCancel: 'Bỏ qua',
      contactDone: 'Đã lưu. Câu trả lời của cán bộ sẽ được gửi tới ',
      contactBad: 'Vui lòng nhập số điện thoại (ví dụ 0912345678) hoặc email.',
      failed: 'Không gửi được, vui lòng thử lại sau.',
      busy: 'Hệ thống đang bận, vui lòng thử lại sau ít phút.',
      empty: 'Xin chào! Ông/Bà cần hỗ trợ gì về thủ tục hành chính hoặc hồ sơ?',
      lang: 'English',
      unread: 'tin mới'
    },
    en: {
      title: 'Online help',
      close: 'Close the chat',
      log: 'Messages',
      input: 'Your question',
      placeholder: 'Type your question…',
      send: 'Send',
      typing: 'The assistant is answering…',
      sending: 'waiting to be sent',
      you: 'You',
      assistant: 'Assistant',
      agent: 'Officer',
      online: 'Connected',
      offline: 'Connection lost, retrying… Your messages will be sent once connected.',
      contactOpen: 'Leave a phone number or email',
      contactHint: 'An officer’s answer after you close this page will be sent to this phone number or email.',
      contactLabel: 'Phone number or email',
      contactSave: 'Save contact',
      contactCancel: 'Cancel',
      contactDone: 'Saved. The officer’s answer will be sent to ',
      contactBad: 'Please enter a phone number (e.g. 0912345678) or an email address.',
      failed: 'Could not send, please try again later.',
      busy: 'The service is busy, please try again in a few minutes.',
      empty: 'Hello! How can we help with an administrative procedure or a dossier?',
      lang: 'Tiếng Việt',
      unread: 'new'
    }
  };

  var CSS = [
    // The host's own inline declarations reset it (all: initial): the type is set inside.
    '.launcher,.panel{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a}',
    '*{box-sizing:border-box}[hidden]{display:none!important}',
    'button,input,textarea{font:inherit;color:inherit}',
    'button{cursor:pointer}',
    ':focus-visible{outline:3px solid #f0a500;outline-offset:2px}',
    '.launcher{display:flex;align-items:center;gap:8px;min-height:52px;padding:0 20px;border:0;border-radius:26px;',
    'background:#0b4f9c;color:#fff;font-weight:600;box-shadow:0 4px 14px rgba(0,0,0,.3)}',
    '.launcher[aria-expanded=true]{display:none}',
    '.panel{display:flex;flex-direction:column;width:min(380px,calc(100vw - 32px));height:min(600px,calc(100vh - 32px));',
    'background:#fff;border:1px solid #b8c2cc;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.3);overflow:hidden}',
    '.panel[hidden]{display:none}',
    'header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#0b4f9c;color:#fff}',
    'h2{flex:1;margin:0;font-size:17px}',
    'header button{min-width:44px;min-height:44px;border:1px solid rgba(255,255,255,.6);border-radius:8px;',
    'background:transparent;color:#fff;font-size:14px}',
    '.status{padding:6px 12px;font-size:14px;background:#fff4d6;color:#5c4300}',
    '.status:empty{display:none}',
    '.log{flex:1;padding:12px;overflow-y:auto;background:#f4f6f8}ol{margin:0;padding:0;list-style:none}',
    'li{margin:0 0 10px;max-width:88%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}',
    'li.in{margin-left:auto;background:#0b4f9c;color:#fff;border-bottom-right-radius:4px}',
    'li.out{background:#fff;border:1px solid #c9d1d9;border-bottom-left-radius:4px}',
    'li.agent{border-color:#1f6f3f;border-left:4px solid #1f6f3f}',
    'li.pending{background:#dfe7f1;color:#1a1a1a}',
    'li.note{max-width:100%;background:transparent;color:#444;text-align:center;font-size:14px}',
    '.who{display:block;font-size:13px;font-weight:600;margin-bottom:2px}',
    'li.out .who{color:#0b4f9c}li.agent .who{color:#1f6f3f}',
    '.state{display:block;font-size:13px;font-style:italic}',
    '.buttons{display:flex;flex-wrap:wrap;gap:8px;padding:0 12px 8px;background:#f4f6f8}',
    '.buttons:empty{display:none}',
    '.buttons button{min-height:44px;padding:6px 14px;border:2px solid #0b4f9c;border-radius:22px;background:#fff;',
    'color:#0b4f9c;font-weight:600}',
    '.typing{padding:4px 14px 8px;font-size:14px;color:#444;background:#f4f6f8}',
    '.typing[hidden]{display:none}',
    '.dot{display:inline-block;width:6px;height:6px;margin-right:3px;border-radius:50%;background:#555;',
    'animation:b 1s infinite}.dot:nth-child(2){animation-delay:.15s}.dot:nth-child(3){animation-delay:.3s}',
    '@keyframes b{0%,80%,100%{opacity:.25}40%{opacity:1}}',
    '@media (prefers-reduced-motion:reduce){.dot{animation:none}}',
    'form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #c9d1d9;background:#fff}',
    'textarea,input{flex:1;min-height:44px;padding:8px 10px;border:1px solid #6b7785;border-radius:8px;background:#fff}',
    'textarea{resize:none;height:44px}',
    'form button,.contact-toggle{min-height:44px;padding:0 14px;border:0;border-radius:8px;background:#0b4f9c;',
    'color:#fff;font-weight:600}',
    '.contact{padding:8px 12px;border-top:1px solid #c9d1d9;background:#fff;font-size:14px}',
    '.contact-toggle{width:100%;background:#fff;color:#0b4f9c;border:1px solid #0b4f9c}',
    '.contact form{flex-wrap:wrap;padding:8px 0 0;border:0}',
    '.contact label{flex-basis:100%;font-weight:600}',
    '.contact p{margin:0 0 4px}',
    '.contact .cancel{background:#fff;color:#0b4f9c;border:1px solid #0b4f9c}',
    '.msg{flex-basis:100%;margin:0;color:#8a1c1c}.msg.ok{color:#1f6f3f}',
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}'
  ].join('');

  // ----- storage: the session survives a reload; the kiosk (not this) stores nothing -----

  function load() {
    try {
      return JSON.parse(localStorage.getItem(KEY)) || {};
    } catch (e) {
      return {};
    }
  }
  var saved = load();
  var state = {
    token: typeof saved.token === 'string' ? saved.token : null,
    outbox: Array.isArray(saved.outbox) ? saved.outbox : [], // [{client_id, text, shown}]
    open: !!saved.open,
    lang: saved.lang === 'en' ? 'en' : 'vi',
    contact: typeof saved.contact === 'string' ? saved.contact : null
  };
  function save() {
    try {
      localStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) { /* private mode: the widget still works for this page */ }
  }
  function t(key) {
    return WORDS[state.lang][key];
  }

  // ----- the DOM, in a shadow root of its own -----

  // A custom element name (no page rule for div or section reaches it) with its
  // own inline !important declarations, which outrank any of the page's rules.
  var host = document.createElement('tongdai-webchat');
  host.id = 'tongdai-webchat';
  [['all', 'initial'], ['display', 'block'], ['position', 'fixed'], ['right', '16px'], ['bottom', '16px'],
    ['z-index', '2147483000'], ['visibility', 'visible'], ['opacity', '1']].forEach(function (p) {
    host.style.setProperty(p[0], p[1], 'important');
  });
  host.setAttribute('lang', 'vi');
  var root = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) { // an older browser: a <style> (needs the host's style-src to allow it)
    var style = document.createElement('style');
    style.textContent = CSS;
    root.appendChild(style);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      if (name === 'text') node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    }
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  var ids = { panel: 'td-panel', title: 'td-title', input: 'td-input', contact: 'td-contact' };
  var launcher = el('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': ids.panel });
  launcher.appendChild(el('span', { 'aria-hidden': 'true', text: '💬' }));
  var launcherText = launcher.appendChild(el('span'));
  var heading = el('h2', { id: ids.title });
  var langButton = el('button', { type: 'button', class: 'lang' });
  var closeButton = el('button', { type: 'button', class: 'close', text: '✕' });
  var status = el('div', { class: 'status', role: 'status' });
  var list = el('ol');
  var log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', tabindex: '0' }, [list]);
  var buttons = el('div', { class: 'buttons' });
  var typing = el('div', { class: 'typing', hidden: '' }, [
    el('span', { class: 'dot', 'aria-hidden': 'true' }),
    el('span', { class: 'dot', 'aria-hidden': 'true' }),
    el('span', { class: 'dot', 'aria-hidden': 'true' }),
    el('span', { class: 'typing-text' })
  ]);
  var inputLabel = el('label', { for: ids.input, class: 'sr' });
  var input = el('textarea', { id: ids.input, rows: '1', maxlength: '2000', autocomplete: 'off' });
  var sendButton = el('button', { type: 'submit', class: 'send' });
  var composer = el('form', { class: 'composer', novalidate: '' }, [inputLabel, input, sendButton]);

  var contactToggle = el('button', { type: 'button', class: 'contact-toggle', 'aria-expanded': 'false', 'aria-controls': ids.contact });
  var contactHint = el('p');
  var contactLabel = el('label', { for: 'td-contact-input' });
  var contactInput = el('input', { id: 'td-contact-input', type: 'text', autocomplete: 'tel', maxlength: '254' });
  var contactSave = el('button', { type: 'submit' });
  var contactCancel = el('button', { type: 'button', class: 'cancel' });
  var contactMsg = el('p', { class: 'msg', role: 'status' });
  var contactForm = el('form', { id: ids.contact, novalidate: '', hidden: '' },
    [contactHint, contactLabel, contactInput, contactSave, contactCancel]);
  var contact = el('div', { class: 'contact' }, [contactToggle, contactForm, contactMsg]);

  var panel = el('section', { id: ids.panel, class: 'panel', role: 'dialog', 'aria-labelledby': ids.title, hidden: '' }, [
    el('header', {}, [heading, langButton, closeButton]), status, log, typing, buttons, composer, contact
  ]);
  root.appendChild(launcher);
  root.appendChild(panel);

  var title = script.getAttribute('data-title');
  function paint() {
    host.setAttribute('lang', state.lang);
    heading.textContent = title || t('title');
    launcherText.textContent = title || t('title');
    closeButton.setAttribute('aria-label', t('close'));
    langButton.textContent = t('lang');
    langButton.setAttribute('lang', state.lang === 'vi' ? 'en' : 'vi');
    log.setAttribute('aria-label', t('log'));
    typing.querySelector('.typing-text').textContent = t('typing');
    inputLabel.textContent = t('input');
    input.setAttribute('placeholder', t('placeholder'));
    sendButton.textContent = t('send');
    contactToggle.textContent = t('contactOpen');
    contactHint.textContent = t('contactHint');
    contactLabel.textContent = t('contactLabel');
    contactSave.textContent = t('contactSave');
    contactCancel.textContent = t('contactCancel');
    if (state.contact) contactMsg.textContent = t('contactDone') + state.contact + '.';
    render();
  }

  // ----- the conversation: messages by server id, then the outbox -----

  var messages = {}; // id -> message
  var lastId = 0;
  var titles = {}; // a button's payload -> its title: a tapped button shows as what it said
  var inFlight = {}; // client_id -> true while its POST is out
  var failed = null;

  function add(message) {
    if (!message || typeof message.id !== 'number' || messages[message.id]) return false;
    messages[message.id] = message;
    if (message.id > lastId) lastId = message.id;
    (message.buttons || []).forEach(function (b) { titles[b.payload] = b.title; });
    return true;
  }

  function bubble(cls, who, text, extra) {
    var item = el('li', { class: cls }, [el('span', { class: 'who', text: who })]);
    item.appendChild(document.createTextNode(text));
    if (extra) item.appendChild(extra);
    return item;
  }

  function render() {
    var order = Object.keys(messages).map(Number).sort(function (a, b) { return a - b; });
    var shown = {};
    Array.prototype.forEach.call(list.children, function (li) { shown[li.getAttribute('data-key')] = li; });
    var wanted = [];
    if (!order.length && !state.outbox.length) {
      wanted.push(['note', function () { return el('li', { class: 'note', text: t('empty') }); }]);
    }
    order.forEach(function (id) {
      var m = messages[id];
      wanted.push(['m' + id + state.lang, function () {
        if (m.direction === 'in') return bubble('in', t('you'), titles[m.text] || m.text);
        var agent = m.author === 'agent';
        return bubble(agent ? 'out agent' : 'out', agent ? t('agent') : t('assistant'), m.text);
      }]);
    });
    state.outbox.forEach(function (o) {
      wanted.push(['p' + o.client_id + state.lang, function () {
        return bubble('in pending', t('you'), o.shown || o.text, el('span', { class: 'state', text: t('sending') }));
      }]);
    });
    // Nodes already shown stay (a screen reader reads only what is new in the log).
    var keep = {};
    wanted.forEach(function (w, i) {
      keep[w[0]] = true;
      var node = shown[w[0]];
      if (!node) {
        node = w[1]();
        node.setAttribute('data-key', w[0]);
      }
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
    });
    Object.keys(shown).forEach(function (key) { if (!keep[key]) list.removeChild(shown[key]); });

    // The quick replies of the latest answer, while it is the latest message.
    buttons.textContent = '';
    var last = order.length ? messages[order[order.length - 1]] : null;
    if (last && last.direction === 'out' && !state.outbox.length) {
      (last.buttons || []).forEach(function (b) {
        var button = el('button', { type: 'button', text: b.title });
        button.addEventListener('click', function () { enqueue(b.payload, b.title); });
        buttons.appendChild(button);
      });
    }
    typing.hidden = !Object.keys(inFlight).length;
    launcherText.textContent = (title || t('title')) + (unread ? ' (' + unread + ' ' + t('unread') + ')' : '');
    log.scrollTop = log.scrollHeight; // the newest is what the citizen waits for
  }

  // ----- HTTP -----

  function api(method, path, body) {
    var options = { method: method, headers: {}, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(BASE + '/webchat/sessions' + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.message || response.statusText);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  var starting = null;
  function session() {
    if (state.token) return Promise.resolve(state.token);
    if (!starting) {
      starting = api('POST', '', {}).then(function (data) {
        state.token = data.token;
        save();
        return data.token;
      }).finally(function () { starting = null; });
    }
    return starting;
  }

  function forget() { // the service no longer knows the token: start afresh
    state.token = null;
    messages = {};
    lastId = 0;
    save();
    if (socket) socket.close();
  }

  function resync() {
    if (!state.token) return Promise.resolve();
    return api('GET', '/' + encodeURIComponent(state.token) + '/messages?after=' + lastId).then(function (data) {
      (data.messages || []).forEach(add);
      render();
    }, function (error) {
      if (error.status === 404) forget();
      throw error;
    });
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function enqueue(text, shown) {
    state.outbox.push({ client_id: newClientId(), text: text, shown: shown || null });
    save();
    render();
    flush();
  }

  // Sends the outbox in order; what fails on the network stays for the next try.
  var flushing = false;
  var retry = null, retryDelay = BACKOFF_MIN;
  function flush() {
    if (flushing || !state.outbox.length) return;
    clearTimeout(retry);
    flushing = true;
    var next = state.outbox[0];
    inFlight[next.client_id] = true;
    render();
    session().then(function (token) {
      return api('POST', '/' + encodeURIComponent(token) + '/messages', { text: next.text, client_id: next.client_id });
    }).then(function (data) {
      state.outbox = state.outbox.filter(function (o) { return o.client_id !== next.client_id; });
      save();
      add(data.message);
      var complete = true;
      (data.replies || []).forEach(function (r) { if (!add(r) && !(r && messages[r.id])) complete = false; });
      setStatus('');
      retryDelay = BACKOFF_MIN;
      if (!complete) return resync();
    }).catch(function (error) {
      if (error.status === 404) { forget(); return; } // a new session: the message goes there
      if (error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) {
        // Refused for good (too long, empty): dropped, and the citizen is told.
        state.outbox = state.outbox.filter(function (o) { return o.client_id !== next.client_id; });
        save();
        setStatus(error.message || t('failed'));
        return;
      }
      failed = error;
    }).then(function () {
      delete inFlight[next.client_id];
      flushing = false;
      render();
      if (failed) {
        failed = null;
        setStatus(t('offline'));
        reconnectSoon(); // the socket's return sends the rest
        clearTimeout(retry); // and, should the socket stay up, a later try on its own
        retry = setTimeout(flush, Math.min(retryDelay *= 2, BACKOFF_MAX));
      } else if (state.outbox.length) {
        flush();
      }
    });
  }

  // ----- the live socket: reconnects with backoff, resyncs by id -----

  var socket = null;
  var helloLast = 0; // what came after the first hello is news; what came before, history
  var unread = 0; // answers that came while the panel was closed
  var delay = BACKOFF_MIN;
  var timer = null;
  var up = false;

  function setStatus(text) {
    status.textContent = text;
  }

  function connect() {
    clearTimeout(timer);
    timer = null;
    if (socket) return;
    session().then(function (token) {
      if (socket) return;
      var url = WS_BASE + '/webchat/sessions/' + encodeURIComponent(token) + '/live?after=' + lastId;
      var ws = new WebSocket(url);
      socket = ws;
      ws.onmessage = function (event) {
        var frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        if (frame.kind === 'hello') {
          helloLast = Math.max(helloLast, frame.last || 0);
          up = true;
          delay = BACKOFF_MIN;
          setStatus('');
          host.setAttribute('data-live', 'up');
          // What came while away (the socket also sends it: ids already held are skipped).
          resync().catch(function () {});
          flush();
        } else if (frame.kind === 'message') {
          matchPending(frame.message);
          if (add(frame.message)) {
            if (!state.open && frame.message.direction === 'out' && frame.message.id > helloLast) unread += 1;
            render();
          }
        }
      };
      ws.onclose = function () {
        if (socket === ws) socket = null;
        if (up) setStatus(t('offline'));
        up = false;
        host.setAttribute('data-live', 'down');
        reconnectSoon();
      };
      ws.onerror = function () { /* onclose follows */ };
    }, function (error) {
      if (!state.token && error.status === undefined) setStatus(t('offline'));
      else if (error.status === 429 || error.status >= 500) setStatus(t('busy'));
      reconnectSoon();
    });
  }

  function reconnectSoon() {
    if (timer || (socket && up)) return;
    var wait = delay * (0.75 + Math.random() / 2);
    delay = Math.min(delay * 2, BACKOFF_MAX);
    timer = setTimeout(function () {
      timer = null;
      if (socket && !up) return;
      connect();
    }, wait);
  }

  // A message of ours echoed by the socket before its POST answered: the
  // pending bubble becomes the stored message (no twin).
  function matchPending(message) {
    if (!message || message.direction !== 'in') return;
    var waiting = state.outbox.filter(function (o) { return inFlight[o.client_id] && o.text === message.text; })[0];
    if (waiting && !messages[message.id]) {
      state.outbox = state.outbox.filter(function (o) { return o !== waiting; });
      save();
    }
  }

  // ----- opening, closing, typing, the contact form -----

  function setOpen(open, focus) {
    state.open = open;
    if (open) unread = 0;
    save();
    render();
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      if (state.token) resync().catch(function () {});
      connect();
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
  }

  launcher.addEventListener('click', function () { setOpen(true, true); });
  closeButton.addEventListener('click', function () { setOpen(false, true); });
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') setOpen(false, true);
  });
  langButton.addEventListener('click', function () {
    state.lang = state.lang === 'vi' ? 'en' : 'vi';
    save();
    paint();
  });

  composer.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    enqueue(text);
    input.focus();
  });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { // Vietnamese IMEs compose with Enter
      event.preventDefault();
      composer.requestSubmit ? composer.requestSubmit() : composer.dispatchEvent(new Event('submit'));
    }
  });

  function showContact(open) {
    contactForm.hidden = !open;
    contactToggle.hidden = open;
    contactToggle.setAttribute('aria-expanded', String(open));
    if (open) contactInput.focus();
    else contactToggle.focus();
  }
  contactToggle.addEventListener('click', function () { showContact(true); });
  contactCancel.addEventListener('click', function () { showContact(false); });
  contactForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var value = contactInput.value.trim();
    var isEmail = value.indexOf('@') > 0;
    var phone = value.replace(/[\s.()-]/g, '');
    if (!(isEmail ? /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) : /^\+?\d{9,15}$/.test(phone))) {
      contactMsg.className = 'msg';
      contactMsg.textContent = t('contactBad');
      contactInput.setAttribute('aria-invalid', 'true');
      contactInput.focus();
      return;
    }
    contactInput.removeAttribute('aria-invalid');
    session().then(function (token) {
      return api('POST', '/' + encodeURIComponent(token) + '/contact', isEmail ? { email: value } : { phone: phone });
    }).then(function (data) {
      // Kept masked as the service gives it back: the page's storage holds no full number.
      state.contact = data.contact || '';
      save();
      contactMsg.className = 'msg ok';
      contactMsg.textContent = t('contactDone') + state.contact + '.';
      contactInput.value = '';
      showContact(false);
    }, function (error) {
      contactMsg.className = 'msg';
      contactMsg.textContent = (error.status && error.status < 500 && error.message) || t('failed');
    });
  });

  // Back online, or the tab shown again: try now rather than at the end of a backoff.
  window.addEventListener('online', function () { delay = BACKOFF_MIN; if (!up) connect(); });
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && state.open && !up) { delay = BACKOFF_MIN; connect(); }
  });

  function mount() {
    document.body.appendChild(host);
    paint();
    // A session already under way: history and the socket at once (the answer may be waiting).
    if (state.open || state.token || state.outbox.length) setOpen(state.open, false);
    if (state.token && !state.open) connect();
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
