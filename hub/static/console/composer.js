import { convPath, loadAgents, showError } from "./actions.js";
import { api } from "./api.js";
import { addMessage, canAct } from "./conversation.js";
import { $, announce, debounce, el } from "./dom.js";
import { t } from "./i18n.js";
import { loadQueue } from "./queue.js";
import { state } from "./state.js";

// ----- the composer: reply, note, SMS counter, canned responses, mentions -------------------
export function onMode() {
  state.mode = $("#mode-note").checked ? "note" : "reply";
  $("#sms-counter").textContent = "";
  hidePopups();
  updateComposer();
}

export function setMode(mode) {
  const radio = $(mode === "note" ? "#mode-note" : "#mode-reply");
  if (!radio) return;
  radio.checked = true;
  onMode();
  $("#reply-text").focus();
}

export function updateComposer() {
  const form = $("#composer");
  if (!form) return;
  const note = state.mode === "note";
  form.classList.toggle("note", note);
  $("#reply-label").textContent = t(note ? "composer.note_label" : "composer.reply_label");
  $("#send").textContent = t(note ? "composer.send_note" : "composer.send");
  if (!note) smsPreview();
}

export const smsPreview = debounce(async function () {
  const counter = $("#sms-counter");
  const item = state.detail;
  if (!counter || !item || item.channel !== "sms" || state.mode !== "reply") return;
  const text = $("#reply-text").value;
  if (!text) {
    counter.textContent = "";
    return;
  }
  try {
    const data = await api("GET", "/console/api/sms-preview?text=" + encodeURIComponent(text));
    if ($("#reply-text").value !== text) return; // typed on meanwhile: the next preview comes
    counter.textContent = t("sms.counter", data);
  } catch (error) {
    counter.textContent = "";
  }
}, 250);

export async function onSend(event) {
  if (event) event.preventDefault();
  const box = $("#reply-text");
  const text = box.value.trim();
  const error = $("#composer-error");
  error.textContent = "";
  if (!text) {
    error.textContent = t("composer.empty");
    return;
  }
  const note = state.mode === "note";
  if (!note && !canAct()) {
    error.textContent = t("composer.not_mine");
    return;
  }
  const id = state.current;
  const send = $("#send");
  send.disabled = true;
  try {
    const message = await api("POST", convPath(note ? "notes" : "reply"), { text });
    box.value = "";
    $("#sms-counter").textContent = "";
    announce(t(note ? "done.note" : "done.sent"));
    if (state.current === id && message) addMessage(message.message || message, false);
    loadQueue();
  } catch (err) {
    error.textContent = err.message;
  } finally {
    send.disabled = false;
  }
}

export function hidePopups() {
  for (const id of ["#canned", "#mention-list"]) {
    const popup = $(id);
    if (popup) popup.hidden = true;
  }
  const box = $("#reply-text");
  if (box) {
    box.removeAttribute("aria-activedescendant");
    box.removeAttribute("aria-controls");
  }
}

/* The word being typed just before the caret, when it starts with `sigil`. */
export function tokenAtCaret(box, sigil) {
  const before = box.value.slice(0, box.selectionStart);
  const match = before.match(new RegExp("(^|\\s)\\" + sigil + "([^\\s" + sigil + "]*)$"));
  if (!match) return null;
  return { query: match[2], start: before.length - match[2].length - 1, end: box.selectionStart };
}

export function onComposerInput() {
  const box = $("#reply-text");
  const slash = tokenAtCaret(box, "/");
  const at = state.mode === "note" ? tokenAtCaret(box, "@") : null;
  if (slash) cannedSearch(slash);
  else if (at) mentionSearch(at);
  else hidePopups();
  if (state.mode === "reply") smsPreview();
}

export function showPopup(popup, items, onPick) {
  hidePopups();
  const box = $("#reply-text");
  popup.replaceChildren(
    ...items.map((item, index) =>
      el(
        "li",
        {
          role: "option",
          id: popup.id + "-" + index,
          "aria-selected": index === 0 ? "true" : "false",
          onmousedown: (event) => {
            event.preventDefault(); // keep the focus in the box
            onPick(item);
          },
        },
        el("b", { text: item.label }),
        item.sub ? el("span", { class: "sub", text: item.sub }) : null
      )
    )
  );
  popup.pick = (index) => onPick(items[index]);
  popup.hidden = false;
  box.setAttribute("aria-controls", popup.id);
  if (items.length) box.setAttribute("aria-activedescendant", popup.id + "-0");
}

export function openPopup() {
  for (const id of ["#canned", "#mention-list"]) {
    const popup = $(id);
    if (popup && !popup.hidden) return popup;
  }
  return null;
}

export function movePopup(popup, step) {
  const options = Array.from(popup.querySelectorAll("[role=option]"));
  if (!options.length) return;
  let index = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
  index = (index + step + options.length) % options.length;
  options.forEach((o, i) => o.setAttribute("aria-selected", String(i === index)));
  options[index].scrollIntoView({ block: "nearest" });
  $("#reply-text").setAttribute("aria-activedescendant", options[index].id);
}

export function replaceToken(token, text) {
  const box = $("#reply-text");
  box.value = box.value.slice(0, token.start) + text + box.value.slice(token.end);
  const caret = token.start + text.length;
  box.setSelectionRange(caret, caret);
  box.focus();
  hidePopups();
  onComposerInputQuiet();
}

export function onComposerInputQuiet() {
  if (state.mode === "reply") smsPreview();
}

export let cannedAsked = 0;
export const cannedSearch = debounce(async function (token) {
  const asked = ++cannedAsked;
  let items = [];
  try {
    const data = await api("GET", "/console/api/canned?q=" + encodeURIComponent(token.query));
    items = data.items || [];
  } catch (error) {
    items = [];
  }
  if (asked !== cannedAsked) return;
  const popup = $("#canned");
  if (!popup) return;
  const box = $("#reply-text");
  if (!tokenAtCaret(box, "/")) return; // the slash was deleted meanwhile
  if (!items.length) {
    hidePopups();
    popup.replaceChildren(el("li", { role: "option", "aria-disabled": "true", text: t("canned.none") }));
    popup.pick = () => hidePopups();
    popup.hidden = false;
    return;
  }
  showPopup(
    popup,
    items.map((c) => ({ label: "/" + c.shortcut + " · " + (c.title || ""), sub: c.body, canned: c })),
    (choice) => useCanned(choice.canned, token)
  );
}, 120);

export async function useCanned(canned, token) {
  const id = state.current;
  let text = canned.body || "";
  try {
    const data = await api("POST", "/console/api/canned/" + encodeURIComponent(canned.id) + "/render", {
      conversation_id: id,
    });
    text = data.text || data.body || data.rendered || text;
  } catch (error) {
    showError(error.message);
  }
  if (state.current !== id) return;
  const box = $("#reply-text");
  const now = tokenAtCaret(box, "/") || token;
  replaceToken(now, text);
}

export function fold(text) {
  return (text || "")
    .replace(/[đĐ]/g, "d")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

// What contact_center/mentions.py answers to: the email's local part, or the name without diacritics.
export function mentionHandle(agent) {
  if (agent.handle) return agent.handle;
  if (agent.email) return agent.email.split("@")[0].toLowerCase();
  return fold(agent.name).replace(/[^a-z0-9]+/g, "");
}

export async function mentionSearch(token) {
  if (!state.agents.length) await loadAgents();
  const query = token.query.toLowerCase();
  const matches = state.agents
    .filter((a) => !a.disabled && (a.id || a.agent_id) !== (state.me && state.me.id))
    .filter((a) => fold(a.name).includes(fold(query)) || fold(mentionHandle(a)).includes(fold(query)))
    .slice(0, 8);
  const popup = $("#mention-list");
  if (!popup || !matches.length) {
    hidePopups();
    return;
  }
  showPopup(
    popup,
    matches.map((a) => ({ label: a.name, sub: "@" + mentionHandle(a), agent: a })),
    (choice) => replaceToken(token, "@" + mentionHandle(choice.agent) + " ")
  );
}

export function onComposerKey(event) {
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
    event.preventDefault();
    onSend();
    return;
  }
  const popup = openPopup();
  if (!popup) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    movePopup(popup, event.key === "ArrowDown" ? 1 : -1);
  } else if (event.key === "Enter" || event.key === "Tab") {
    const options = Array.from(popup.querySelectorAll("[role=option]"));
    const index = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    if (index >= 0 && popup.pick) {
      event.preventDefault();
      popup.pick(index);
    }
  } else if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    hidePopups();
  }
}
