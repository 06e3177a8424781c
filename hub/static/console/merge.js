/* Merging two citizen records that are one person (supervisors), from the citizen panel.
   The panel's citizen is kept; the one whose id the supervisor enters is merged into it.
   A merge moves conversations and contacts, so it is confirmed in a dialog first and
   can be undone from the result (or later, from the list of merged records). */
import { api } from "./api.js";
import { loadCitizen } from "./citizen.js";
import { isSupervisor } from "./conversation.js";
import { $, announce, el } from "./dom.js";
import { i18n, t } from "./i18n.js";
import { state } from "./state.js";

// The last merge or undo done from this page, shown (with its undo) until another citizen is opened.
let result = null;

export function mergeSection(citizen) {
  if (!citizen || !citizen.id || !isSupervisor()) return [];
  if (result && result.citizen !== citizen.id) result = null;
  const merged = citizen.merged || [];
  return [
    i18n("h3", "merge.title"),
    el("p", {}, i18n("span", "merge.this_id"), " ", el("code", { id: "citizen-id", text: citizen.id })),
    merged.length
      ? el(
          "ul",
          { class: "merged" },
          merged.map((m) =>
            el(
              "li",
              { class: "merged-citizen box", dataset: { merge: m.merge_id } },
              el("code", { text: m.citizen_id }),
              el("div", { class: "muted", text: m.reason || "" }),
              el("button", {
                type: "button",
                "data-i18n": "merge.undo",
                text: t("merge.undo"),
                "aria-label": t("merge.undo_one", { id: m.citizen_id }),
                onclick: () => undo(m.merge_id, citizen.id, m.reason),
              })
            )
          )
        )
      : null,
    el(
      "form",
      { id: "merge-form", class: "stack", onsubmit: (event) => askMerge(event, citizen.id) },
      i18n("label", "merge.other", { for: "merge-other" }),
      el("input", { id: "merge-other", required: true, maxlength: "100", autocomplete: "off", spellcheck: "false" }),
      i18n("label", "merge.reason", { for: "merge-reason" }),
      el("textarea", { id: "merge-reason", required: true, maxlength: "500", rows: "2" }),
      el("button", { type: "submit", id: "merge-start", "data-i18n": "merge.start", text: t("merge.start") })
    ),
    el(
      "div",
      { id: "merge-result", role: "status" },
      result ? el("span", { text: result.text }) : null,
      result && result.merge
        ? el("button", {
            type: "button",
            id: "merge-undo",
            "data-i18n": "merge.undo",
            text: t("merge.undo"),
            onclick: () => undo(result.merge.id, citizen.id, result.merge.reason),
          })
        : null
    ),
  ];
}

function confirmDialog() {
  let dialog = $("#merge-confirm");
  if (dialog) return dialog;
  dialog = el(
    "dialog",
    { id: "merge-confirm", "aria-labelledby": "merge-confirm-title", "aria-describedby": "merge-confirm-text" },
    i18n("h2", "merge.confirm_title", { id: "merge-confirm-title" }),
    el("p", { id: "merge-confirm-text" }),
    el("p", { id: "merge-error", class: "error", role: "alert" }),
    el(
      "p",
      { class: "actions" },
      el("button", { type: "button", id: "merge-ok", class: "primary", "data-i18n": "merge.ok", text: t("merge.ok") }),
      el("button", {
        type: "button",
        id: "merge-cancel",
        "data-i18n": "cancel",
        text: t("cancel"),
        onclick: () => dialog.close(),
      })
    )
  );
  document.body.append(dialog);
  return dialog;
}

function askMerge(event, keep) {
  event.preventDefault();
  const other = $("#merge-other").value.trim();
  const reason = $("#merge-reason").value.trim();
  if (!other || !reason) return;
  const dialog = confirmDialog();
  $("#merge-confirm-text").textContent = t("merge.confirm_text", { other, keep });
  $("#merge-error").textContent = "";
  // Replaced, not added to, so that one click merges once whatever was asked before.
  const ok = $("#merge-ok");
  const fresh = ok.cloneNode(true);
  fresh.addEventListener("click", () => doMerge(dialog, keep, other, reason));
  ok.replaceWith(fresh);
  dialog.showModal();
  $("#merge-cancel").focus(); // the safe choice first
}

async function doMerge(dialog, keep, other, reason) {
  $("#merge-ok").disabled = true;
  try {
    const merge = await api("POST", "/console/api/citizens/merge", { keep, merge: other, reason });
    result = { citizen: keep, merge, text: t("merge.done", { other, keep }) };
    dialog.close();
    announce(result.text);
    refresh();
  } catch (error) {
    $("#merge-error").textContent = error.message;
  } finally {
    $("#merge-ok").disabled = false;
  }
}

async function undo(mergeId, citizenId, reason) {
  try {
    await api("POST", "/console/api/citizens/merges/" + encodeURIComponent(mergeId) + "/undo", {
      reason: t("merge.undo_reason", { reason: reason || "" }),
    });
    result = { citizen: citizenId, merge: null, text: t("merge.undone") };
    announce(result.text);
    refresh();
  } catch (error) {
    result = { citizen: citizenId, merge: result && result.merge, text: error.message };
    refresh();
  }
}

function refresh() {
  if (state.current) loadCitizen(state.current);
}
