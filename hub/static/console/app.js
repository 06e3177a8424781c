/* Tổng đài · the help-center console (issue 12). No framework, no build step:
   these modules are served as written, under a CSP without inline scripts.

   Element ids and roles the browser tests (tests/browser/test_console.py) use:
     header: #presence (select), #lang (button), #help-open, #help (dialog), #me-name
     #banner (role=alert, "Mất kết nối — đang kết nối lại…" while the socket is down)
     #announcer (role=status): new messages in the open conversation, alerts
     left:   #views button[data-view=mine|unassigned|team|all] with .count[data-count];
             #filters: #f-search #f-channel #f-status #f-priority #f-label #f-dossier;
             #queue li > a.item[data-id] (aria-current="true" on the open one)
     middle: #conv-title, #conv-meta, #escalation, #btn-claim #btn-transfer #btn-resolve
             #btn-pending #btn-reopen #snooze (select) #btn-handback #priority (select) #labels + #btn-labels;
             #messages (role=log) li.msg[data-id] .msg-in|.msg-out|.msg-bot|.msg-note|.msg-activity,
             .delivery[data-status] on agent replies;
             #composer: #mode-reply #mode-note (radios) #reply-text #sms-counter #send #composer-error;
             #canned (listbox of li[role=option]), #mention-list (listbox)
             #transfer (dialog): #transfer-agent #transfer-note #transfer-ok
     right:  #citizen (aside): #citizen-name, .contact, .dossier[data-code], .notice, .other-conv;
             supervisors: #citizen-id, #merge-form (#merge-other #merge-reason), #merge-confirm (dialog,
             #merge-ok), #merge-result (role=status) with #merge-undo, .merged-citizen[data-merge]
     header, supervisors: #canned-open -> #canned-admin (dialog): #canned-items .canned-item[data-shortcut],
             #canned-form (#canned-shortcut #canned-title #canned-body #canned-team #canned-add)
     audit page (body[data-page=audit]): #audit-filters, #audit-table tbody tr
*/
import { loadAgents } from "./actions.js";
import { unlockAudio } from "./alerts.js";
import { api } from "./api.js";
import { openCannedAdmin } from "./canned_admin.js";
import { openConversation } from "./conversation.js";
import { $, announce, debounce, el } from "./dom.js";
import { LANG_KEY, applyLanguage, formatTime, lang, setLang, t } from "./i18n.js";
import { onKey } from "./keys.js";
import { connect } from "./live.js";
import { loadMore, loadQueue, renderQueue } from "./queue.js";
import { state } from "./state.js";

// ----- start ---------------------------------------------------------------------------------
export function fromHash() {
  const match = window.location.hash.match(/^#c\/(.+)$/);
  return match ? decodeURIComponent(match[1]) : null;
}

export function onHash() {
  const id = fromHash();
  if (id && id !== state.current) openConversation(id);
}

export function commonStart() {
  applyLanguage();
  $("#lang").addEventListener("click", () => {
    setLang(lang === "vi" ? "en" : "vi");
    localStorage.setItem(LANG_KEY, lang);
    applyLanguage();
    renderQueue();
    if (state.current && state.detail) openConversation(state.current);
  });
  $("#help-open").addEventListener("click", () => $("#help").showModal());
  const canned = $("#canned-open"); // supervisors only
  if (canned) canned.addEventListener("click", openCannedAdmin);
}

export async function loadMe() {
  try {
    state.me = await api("GET", "/console/api/me");
    if (state.me.csrf_token) state.csrf = state.me.csrf_token;
  } catch (error) {
    state.me = { id: document.body.dataset.agent, role: document.body.dataset.role, name: "" };
  }
}

export async function startConsole() {
  commonStart();
  document.addEventListener("keydown", onKey);
  for (const gesture of ["pointerdown", "keydown"]) document.addEventListener(gesture, unlockAudio, { once: true });
  for (const b of document.querySelectorAll("#views button[data-view]")) {
    b.addEventListener("click", () => {
      state.view = b.dataset.view;
      renderQueue();
      loadQueue();
    });
  }
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadQueue();
  });
  for (const id of ["#f-channel", "#f-status", "#f-priority"]) $(id).addEventListener("change", () => loadQueue());
  for (const id of ["#f-search", "#f-label", "#f-dossier"]) $(id).addEventListener("input", debounce(loadQueue, 300));
  $("#queue-more").addEventListener("click", loadMore);
  $("#presence").addEventListener("change", async (event) => {
    try {
      await api("POST", "/console/api/presence", { presence: event.target.value });
    } catch (error) {
      announce(error.message);
    }
  });
  window.addEventListener("hashchange", onHash);

  await loadMe();
  await loadAgents();
  const self = state.agents.find((a) => (a.id || a.agent_id) === state.me.id);
  if (self && self.presence) $("#presence").value = self.presence;
  connect();
  await loadQueue();
  if (state.view === "mine" && !state.counts.mine && state.counts.unassigned) {
    // Nothing of mine yet: a newcomer sees who is waiting rather than an empty list.
    state.view = "unassigned";
    await loadQueue();
  }
  onHash();
}

export async function startAudit() {
  commonStart();
  await loadMe();
  const form = $("#audit-filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadAudit();
  });
  loadAudit();
}

export async function loadAudit() {
  const params = new URLSearchParams();
  for (const [name, selector] of [
    ["agent", "#a-agent"],
    ["object_type", "#a-type"],
    ["object_id", "#a-object"],
    ["since", "#a-since"],
    ["limit", "#a-limit"],
  ]) {
    let value = $(selector).value.trim();
    if (value && name === "since") value += "T00:00:00+07:00"; // a day in Vietnam, from its start
    if (value) params.set(name, value);
  }
  const status = $("#audit-status");
  const exported = new URLSearchParams(params);
  exported.set("format", "csv");
  $("#audit-export").href = "/console/api/audit?" + exported.toString();
  try {
    const data = await api("GET", "/console/api/audit?" + params.toString());
    const rows = data.entries || [];
    $("#audit-table tbody").replaceChildren(
      ...rows.map((r) =>
        el(
          "tr",
          {},
          el("td", {}, el("time", { datetime: r.at || "", text: formatTime(r.at) })),
          el("td", { text: r.agent || "" }),
          el("td", { text: r.action || "" }),
          el("td", { text: r.object_type || "" }),
          el("td", { text: r.object_id || "" }),
          el("td", { text: r.reason || "" })
        )
      )
    );
    status.textContent = t("audit.count", { n: rows.length });
  } catch (error) {
    status.textContent = error.message;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "console") startConsole();
  else if (page === "audit") startAudit();
});
