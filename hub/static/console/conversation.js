import { act, onClaim, onHandback, onLabels, onPriority, onSnooze, openTransfer, setStatus } from "./actions.js";
import { seen } from "./alerts.js";
import { api } from "./api.js";
import { loadCitizen } from "./citizen.js";
import { onComposerInput, onComposerKey, onMode, onSend, updateComposer } from "./composer.js";
import { $, el } from "./dom.js";
import { formatTime, i18n, t } from "./i18n.js";
import { agentName, channelName, renderQueue } from "./queue.js";
import { state } from "./state.js";

// ----- the conversation ----------------------------------------------------------------------
export function canAct() {
  const item = state.detail;
  if (!item || !state.me) return false;
  return item.assignee === state.me.id || isSupervisor();
}

export function isSupervisor() {
  return state.me && (state.me.role === "supervisor" || state.me.role === "admin");
}

export function button(id, key, onclick, extra) {
  return el("button", Object.assign({ type: "button", id, "data-i18n": key, text: t(key), onclick }, extra || {}));
}

export function buildConversation() {
  const main = $("#conversation");
  const snooze = el(
    "select",
    { id: "snooze", onchange: onSnooze },
    el("option", { value: "", "data-i18n": "snooze.choose", text: t("snooze.choose") }),
    el("option", { value: "1h", "data-i18n": "snooze.1h", text: t("snooze.1h") }),
    el("option", { value: "4h", "data-i18n": "snooze.4h", text: t("snooze.4h") }),
    el("option", { value: "tomorrow", "data-i18n": "snooze.tomorrow", text: t("snooze.tomorrow") })
  );
  const priority = el(
    "select",
    { id: "priority", onchange: onPriority },
    [0, 1, 2].map((p) => el("option", { value: String(p), "data-i18n": "priority." + p, text: t("priority." + p) }))
  );
  const head = el(
    "div",
    { class: "conv-head" },
    el("h2", { id: "conv-title" }),
    el("dl", { id: "conv-meta", class: "meta" }),
    el("div", { id: "escalation-box" }),
    i18n("h3", "conv.actions", { class: "visually-hidden" }),
    el(
      "div",
      { class: "actions" },
      button("btn-claim", "btn.claim", onClaim, { class: "primary" }),
      button("btn-transfer", "btn.transfer", openTransfer, { "aria-haspopup": "dialog" }),
      button("btn-resolve", "btn.resolve", () => setStatus("resolved")),
      button("btn-pending", "btn.pending", () => setStatus("pending")),
      button("btn-reopen", "btn.reopen", () => setStatus("open")),
      i18n("label", "snooze.label", { for: "snooze" }),
      snooze,
      button("btn-handback", "btn.handback", onHandback),
      i18n("label", "conv.priority_field", { for: "priority" }),
      priority,
      i18n("label", "conv.labels_field", { for: "labels" }),
      el("input", { id: "labels", autocomplete: "off", "aria-describedby": "labels-hint" }),
      i18n("span", "labels.hint", { id: "labels-hint", class: "visually-hidden" }),
      button("btn-labels", "btn.labels", onLabels)
    )
  );
  // The log is the scrolling box; the messages are a list inside it.
  const messages = el(
    "div",
    {
      id: "messages",
      class: "messages",
      role: "log",
      "aria-live": "polite",
      "aria-label": t("conv.messages"),
      "data-i18n-label": "conv.messages",
      tabindex: "0",
    },
    el("ol", { id: "message-list", class: "message-list" })
  );
  const composer = el(
    "form",
    { id: "composer", class: "composer", onsubmit: onSend, novalidate: true },
    el(
      "fieldset",
      {},
      i18n("legend", "composer.mode"),
      el(
        "label",
        {},
        el("input", { type: "radio", name: "mode", id: "mode-reply", value: "reply", checked: true, onchange: onMode }),
        " ",
        i18n("span", "composer.reply")
      ),
      el(
        "label",
        {},
        el("input", { type: "radio", name: "mode", id: "mode-note", value: "note", onchange: onMode }),
        " ",
        i18n("span", "composer.note")
      )
    ),
    el("label", { for: "reply-text", id: "reply-label", class: "visually-hidden", text: t("composer.reply_label") }),
    el("ul", {
      id: "canned",
      class: "popup",
      role: "listbox",
      hidden: true,
      "aria-label": t("canned.label"),
      "data-i18n-label": "canned.label",
    }),
    el("ul", {
      id: "mention-list",
      class: "popup",
      role: "listbox",
      hidden: true,
      "aria-label": t("mention.label"),
      "data-i18n-label": "mention.label",
    }),
    el("textarea", {
      id: "reply-text",
      rows: "3",
      "aria-describedby": "composer-hint sms-counter",
      "aria-autocomplete": "list",
      oninput: onComposerInput,
      onkeydown: onComposerKey,
    }),
    el(
      "div",
      { class: "composer-foot" },
      el("span", { id: "sms-counter", class: "counter", "aria-live": "polite" }),
      i18n("span", "composer.hint", { id: "composer-hint", class: "muted" }),
      el("button", { type: "submit", id: "send", class: "primary", text: t("composer.send") })
    ),
    el("p", { id: "composer-error", class: "error", role: "alert" })
  );
  main.replaceChildren(head, messages, composer);
  state.mode = "reply";
}

export async function openConversation(id) {
  // A conversation shown as an error (refused, gone) is built afresh when it opens after all.
  const changed = id !== state.current || !$("#conv-title");
  if (changed) {
    state.current = id;
    state.detail = null;
    state.escalation = null;
    state.messageIds = new Set();
    buildConversation();
    $("#conv-title").textContent = t("conv.loading");
    $("#citizen").replaceChildren();
    renderQueue();
  }
  seen(id);
  let data;
  try {
    data = await api("GET", "/console/api/conversations/" + encodeURIComponent(id));
  } catch (error) {
    if (state.current !== id) return;
    const key = error.status === 403 ? "conv.forbidden" : error.status === 404 ? "conv.missing" : null;
    $("#conversation").replaceChildren(
      el("p", { class: "error", role: "alert", id: "conv-error", text: key ? t(key) : error.message })
    );
    state.detail = null;
    return;
  }
  if (state.current !== id) return; // the agent moved on meanwhile
  showDetail(data, changed);
  if (changed) loadCitizen(id); // once per opening: each load is an audited view
}

export function itemOf(data) {
  // The item's fields at the top, or under "conversation"/"item": either shape is read.
  return Object.assign({}, data.item || data.conversation || data);
}

export function showDetail(data, fresh) {
  const item = itemOf(data);
  state.detail = item;
  renderHead(item, data);
  const messages = data.messages || item.messages || [];
  if (fresh) {
    $("#message-list").replaceChildren();
    state.messageIds = new Set();
  }
  for (const message of messages) addMessage(message, false);
  if (fresh) scrollMessages();
  updateComposer();
}

export function metaRow(key, value) {
  return el("div", {}, i18n("dt", key), el("dd", {}, value));
}

export function renderHead(item, data) {
  const who = item.citizen_name || item.address_masked || t("queue.citizen");
  $("#conv-title").textContent = who + " · " + channelName(item.channel);
  const meta = [
    metaRow("conv.status", t("status." + (item.status || "bot"))),
    metaRow("conv.priority", t("priority." + (item.priority || 0))),
    metaRow("conv.assignee", agentName(item.assignee)),
    metaRow("conv.channel", channelName(item.channel)),
  ];
  if (item.address_masked) meta.push(metaRow("conv.address", item.address_masked));
  if (item.dossier_code) meta.push(metaRow("conv.dossier", item.dossier_code));
  if (item.snooze_until) meta.push(metaRow("conv.snoozed_until", formatTime(item.snooze_until)));
  $("#conv-meta").replaceChildren(...meta);

  if (data.escalation) state.escalation = data.escalation;
  renderEscalation(item);
  renderActions(item);
}

export function renderEscalation(item) {
  // The reason is the item's; the transcript comes with the citizen panel (the conversation's escalation).
  const escalation = state.escalation || {};
  const reason = item.escalation_reason || escalation.reason;
  const transcript = escalation.transcript || [];
  const box = $("#escalation-box");
  if (!box) return;
  const wasOpen = Boolean($("#escalation") && $("#escalation").open);
  box.replaceChildren();
  if (reason || transcript.length) {
    const lines = transcript.map((m) =>
      el(
        "li",
        {},
        el("b", { text: (m.direction === "in" ? t("who.citizen") : t("who.assistant")) + ": " }),
        m.text || "",
        el("span", { class: "muted", text: " · " + formatTime(m.at) })
      )
    );
    box.append(
      el(
        "details",
        { id: "escalation", class: "escalation" },
        el("summary", {}, t("conv.reason") + ": " + (reason ? t("reason." + reason) : "—")),
        lines.length ? el("p", { class: "muted", text: t("conv.transcript") }) : null,
        lines.length ? el("ol", {}, lines) : null
      )
    );
    $("#escalation").open = wasOpen;
  }
}

export function renderActions(item) {
  const act = canAct();
  // Someone has it: a supervisor takes it over with "Chuyển…", never by a claim that would fail.
  $("#btn-claim").hidden = Boolean(item.assignee);
  $("#btn-resolve").hidden = item.status === "resolved";
  $("#btn-pending").hidden = item.status === "pending" || item.status === "resolved";
  $("#btn-reopen").hidden = item.status === "open" || !item.status;
  for (const id of ["#btn-resolve", "#btn-pending", "#btn-reopen", "#btn-handback", "#snooze", "#btn-transfer"]) {
    $(id).disabled = !act && !(id === "#btn-transfer" && isSupervisor());
  }
  $("#priority").value = String(item.priority || 0);
  const labels = $("#labels");
  if (document.activeElement !== labels) labels.value = (item.labels || []).join(", ");
}

// A temporary failure is retried: it is still on its way, not failed.
export const FAILED = new Set(["failed", "permanent_failure", "technical_failure", "cancelled"]);

export function deliveryBadge(delivery) {
  if (!delivery) return null;
  const status = delivery.status || "";
  let key = "delivery.wait";
  let cls = "wait";
  if (status === "delivered") [key, cls] = ["delivery.delivered", "ok"];
  else if (status === "sent") [key, cls] = ["delivery.sent", "ok"];
  else if (FAILED.has(status)) [key, cls] = ["delivery.failed", "failed"];
  const text = t(key) + (cls === "failed" && delivery.reason ? ": " + delivery.reason : "");
  return el("span", {
    class: "delivery " + cls,
    dataset: { status },
    title: t("delivery.label"),
    text: "· " + text,
  });
}

export function messageNode(message) {
  const kind = message.kind || "message";
  let cls = "msg-in";
  let who = message.author_name || t("who.citizen");
  if (kind === "note") {
    cls = "msg-note";
    who = agentName(message.author);
  } else if (kind === "activity") {
    cls = "msg-activity";
    who = t("who.system");
  } else if (message.direction === "out" || message.author) {
    cls = message.author ? "msg-out" : "msg-bot";
    who = message.author ? agentName(message.author) : t("who.assistant");
  } else if (state.detail && state.detail.citizen_name) {
    who = state.detail.citizen_name;
  }
  const header = el(
    "span",
    { class: "who" },
    kind === "note" ? el("span", { class: "kind", text: t("who.note") }) : null,
    el("b", { text: who }),
    el("time", { datetime: message.at || "", text: formatTime(message.at) }),
    message.channel && kind === "message" ? el("span", { text: channelName(message.channel) }) : null,
    kind === "message" && message.author ? deliveryBadge(message.delivery) : null
  );
  return el(
    "li",
    { class: "msg " + cls, dataset: { id: String(message.id) } },
    header,
    el("div", { class: "text", text: message.text || "" })
  );
}

export function addMessage(message, live) {
  const box = $("#messages");
  const list = $("#message-list");
  if (!list || message === null || message === undefined) return;
  const id = String(message.id);
  if (state.messageIds.has(id)) {
    const old = list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (old) old.replaceWith(messageNode(message));
    return;
  }
  state.messageIds.add(id);
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  list.append(messageNode(message));
  if (!live || nearBottom) scrollMessages();
}

export function scrollMessages() {
  const list = $("#messages");
  if (list) list.scrollTop = list.scrollHeight;
}

export function setDelivery(messageId, delivery) {
  const node = document.querySelector(`#messages li[data-id="${CSS.escape(String(messageId))}"]`);
  if (!node) return;
  const old = node.querySelector(".delivery");
  const badge = deliveryBadge(delivery);
  if (old && badge) old.replaceWith(badge);
  else if (badge) node.querySelector(".who").append(badge);
}
