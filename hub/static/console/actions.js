import { api } from "./api.js";
import { isSupervisor, openConversation } from "./conversation.js";
import { $, announce, el } from "./dom.js";
import { i18n, t } from "./i18n.js";
import { agentName, loadQueue, renderQueue } from "./queue.js";
import { state } from "./state.js";

// ----- the actions ---------------------------------------------------------------------------
export function convPath(suffix) {
  return "/console/api/conversations/" + encodeURIComponent(state.current) + "/" + suffix;
}

export async function act(suffix, body, doneKey) {
  const id = state.current;
  try {
    await api("POST", convPath(suffix), body === undefined ? {} : body);
    if (doneKey) announce(t(doneKey));
    if (state.current === id) await openConversation(id);
    loadQueue();
    return true;
  } catch (error) {
    showError(error.message);
    if (state.current === id && error.status === 409) await openConversation(id);
    return false;
  }
}

export function showError(text) {
  const box = $("#composer-error");
  if (box) box.textContent = text;
  else announce(text);
}

export function onClaim() {
  act("claim", {}, "done.claimed");
}

export function setStatus(status, snoozeUntil) {
  if (!state.current) return;
  const body = { status };
  if (snoozeUntil) body.snooze_until = snoozeUntil;
  act("status", body, "done.status");
}

export function onSnooze(event) {
  const choice = event.target.value;
  if (!choice) return;
  const until = new Date();
  if (choice === "1h") until.setHours(until.getHours() + 1);
  else if (choice === "4h") until.setHours(until.getHours() + 4);
  else {
    until.setDate(until.getDate() + 1);
    until.setHours(8, 0, 0, 0);
  }
  event.target.value = "";
  setStatus("snoozed", until.toISOString());
}

export function onHandback() {
  act("handback", {}, "done.status");
}

export function onPriority(event) {
  act("priority", { priority: Number(event.target.value) }, "done.saved");
}

export function onLabels() {
  const labels = $("#labels")
    .value.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  act("labels", { labels }, "done.saved");
}

// Transfer: a native dialog, built once.
export function transferDialog() {
  let dialog = $("#transfer");
  if (dialog) return dialog;
  dialog = el(
    "dialog",
    { id: "transfer", "aria-labelledby": "transfer-title" },
    i18n("h2", "transfer.title", { id: "transfer-title" }),
    el(
      "form",
      { method: "dialog", onsubmit: onTransfer },
      i18n("label", "transfer.agent", { for: "transfer-agent" }),
      el("select", { id: "transfer-agent", required: true }),
      i18n("label", "transfer.note", { for: "transfer-note" }),
      el("textarea", { id: "transfer-note", rows: "3" }),
      el(
        "p",
        { class: "actions" },
        el("button", { type: "submit", id: "transfer-ok", class: "primary", "data-i18n": "transfer.ok", text: t("transfer.ok") }),
        el("button", {
          type: "button",
          id: "transfer-cancel",
          "data-i18n": "cancel",
          text: t("cancel"),
          onclick: () => dialog.close(),
        })
      )
    )
  );
  document.body.append(dialog);
  return dialog;
}

export async function openTransfer() {
  if (!state.current) return;
  await loadAgents();
  const dialog = transferDialog();
  const select = $("#transfer-agent");
  const options = state.agents
    .filter((a) => (a.id || a.agent_id) !== (state.detail && state.detail.assignee) && !a.disabled)
    .map((a) => {
      const presence = a.presence ? " · " + t("presence." + a.presence) : "";
      const team = a.team ? " · " + a.team : "";
      return el("option", { value: "agent:" + (a.id || a.agent_id), text: a.name + team + presence });
    });
  // Or to a team's unassigned queue, where its agents (and auto-assignment) pick it up.
  const teams = Array.from(new Set(state.agents.map((a) => a.team).filter(Boolean))).sort();
  const teamOptions = teams.map((team) =>
    el("option", { value: "team:" + team, text: t("transfer.team_only", { team }) })
  );
  select.replaceChildren(...options, ...teamOptions);
  $("#transfer-note").value = "";
  dialog.showModal();
  select.focus();
}

export async function onTransfer(event) {
  event.preventDefault();
  const choice = $("#transfer-agent").value;
  if (!choice) return;
  const [kind, target] = [choice.slice(0, choice.indexOf(":")), choice.slice(choice.indexOf(":") + 1)];
  const note = $("#transfer-note").value.trim() || null;
  const body = kind === "team" ? { team: target, note } : { agent_id: target, note };
  $("#transfer").close();
  if (isSupervisor()) {
    await act("assign", body, "done.transfer");
    return;
  }
  // An agent gives the conversation away: it is no longer theirs to see.
  try {
    await api("POST", convPath("assign"), body);
  } catch (error) {
    showError(error.message);
    return;
  }
  closeConversation(t("done.transfer_to", { name: kind === "team" ? target : agentName(target) }));
  loadQueue();
}

export function closeConversation(message) {
  state.current = null;
  state.detail = null;
  state.escalation = null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  $("#conversation").replaceChildren(el("p", { id: "conv-done", class: "muted", role: "status", text: message }));
  $("#citizen").replaceChildren();
  announce(message);
  renderQueue();
}

export async function loadAgents() {
  try {
    const data = await api("GET", "/console/api/agents");
    state.agents = data.agents || data.items || [];
  } catch (error) {
    state.agents = state.agents || [];
  }
}
