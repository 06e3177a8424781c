import { api } from "./api.js";
import { $, announce, debounce, el } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { state } from "./state.js";

// ----- the queue -----------------------------------------------------------------------------
export function queueQuery(before) {
  const params = new URLSearchParams();
  params.set("view", state.view);
  const fields = {
    status: "#f-status",
    channel: "#f-channel",
    priority: "#f-priority",
    label: "#f-label",
    dossier: "#f-dossier",
    q: "#f-search",
  };
  for (const [name, selector] of Object.entries(fields)) {
    const input = $(selector);
    const value = input ? input.value.trim() : "";
    if (name === "status") params.set("status", value); // empty = every queued status
    else if (value) params.set(name, name === "dossier" ? value.toUpperCase() : value);
  }
  if (before) params.set("before", before);
  return "/console/api/queue?" + params.toString();
}

export let queueLoading = null;
export async function loadQueue() {
  // One load at a time; a change meanwhile asks for one more after it.
  if (queueLoading) {
    queueLoading.again = true;
    return;
  }
  queueLoading = { again: false };
  try {
    const data = await api("GET", queueQuery());
    state.items = data.items || [];
    state.next = data.next || null;
    state.counts = data.counts || {};
    renderQueue();
  } catch (error) {
    if (error.status !== 401) announce(error.message);
  } finally {
    const again = queueLoading.again;
    queueLoading = null;
    if (again) loadQueue();
  }
}
export const reloadQueue = debounce(loadQueue, 150);

export async function loadMore() {
  if (!state.next) return;
  try {
    const data = await api("GET", queueQuery(state.next));
    state.items = state.items.concat(data.items || []);
    state.next = data.next || null;
    renderQueue();
  } catch (error) {
    announce(error.message);
  }
}

export function channelName(channel) {
  return t("channel." + channel);
}

export function agentName(id) {
  if (!id) return t("conv.nobody");
  if (state.me && id === state.me.id) return state.me.name;
  const agent = state.agents.find((a) => a.id === id || a.agent_id === id);
  return agent ? agent.name : id;
}

export function renderQueue() {
  const list = $("#queue");
  if (!list) return;
  for (const button of document.querySelectorAll("#views button[data-view]")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
  }
  for (const count of document.querySelectorAll("#views [data-count]")) {
    const n = state.counts[count.dataset.count];
    count.textContent = n === undefined ? "" : String(n);
  }
  list.replaceChildren(
    ...state.items.map((item) => {
      const tags = [el("span", { class: "tag", text: t("status." + item.status) })];
      if (item.priority > 0) {
        tags.push(el("span", { class: "tag p" + item.priority, text: t("priority." + item.priority) }));
      }
      if (item.escalation_reason === "complaint") {
        tags.push(el("span", { class: "tag p1", text: t("reason.complaint") }));
      }
      if (item.dossier_code) tags.push(el("span", { class: "tag", text: item.dossier_code }));
      for (const label of item.labels || []) tags.push(el("span", { class: "tag", text: "#" + label }));
      if (state.alerts.has(item.conversation_id)) tags.push(el("span", { class: "tag alert", text: "●" }));
      const who = item.citizen_name || item.address_masked || t("queue.citizen");
      return el(
        "li",
        {},
        el(
          "a",
          {
            class: "item",
            href: "#c/" + encodeURIComponent(item.conversation_id),
            dataset: { id: item.conversation_id },
            "aria-current": item.conversation_id === state.current ? "true" : null,
          },
          el(
            "span",
            { class: "line1" },
            el("span", { text: who }),
            el("span", { class: "muted", text: channelName(item.channel) })
          ),
          el("span", { class: "line2", text: item.last_text || "" }),
          el(
            "span",
            { class: "line2" },
            formatTime(item.last_at) + " · " + (item.assignee ? agentName(item.assignee) : t("queue.unassigned"))
          ),
          el("span", { class: "tags" }, tags)
        )
      );
    })
  );
  $("#queue-empty").hidden = state.items.length > 0;
  $("#queue-more").hidden = !state.next;
}
