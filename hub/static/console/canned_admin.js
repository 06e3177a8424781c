/* Supervisors manage the canned responses ("/" in the reply box): list, add, delete.
   A dialog over the console, so a supervisor does not lose the open conversation. */
import { api } from "./api.js";
import { $, announce, el } from "./dom.js";
import { i18n, t } from "./i18n.js";

function field(key, id, control) {
  return el("p", {}, i18n("label", key, { for: id }), control);
}

function dialog() {
  let box = $("#canned-admin");
  if (box) return box;
  box = el(
    "dialog",
    { id: "canned-admin", "aria-labelledby": "canned-admin-title" },
    i18n("h2", "cadmin.title", { id: "canned-admin-title" }),
    el("ul", { id: "canned-items", class: "canned-items", "aria-labelledby": "canned-admin-title" }),
    el(
      "form",
      { id: "canned-form", class: "stack", onsubmit: onCreate },
      i18n("h3", "cadmin.new"),
      field("cadmin.shortcut", "canned-shortcut", el("input", { id: "canned-shortcut", required: true, maxlength: "50", autocomplete: "off" })),
      field("cadmin.name", "canned-title", el("input", { id: "canned-title", required: true, maxlength: "200" })),
      field("cadmin.body", "canned-body", el("textarea", { id: "canned-body", required: true, rows: "4", "aria-describedby": "canned-hint" })),
      i18n("p", "cadmin.hint", { id: "canned-hint", class: "muted" }),
      field("cadmin.team", "canned-team", el("input", { id: "canned-team", maxlength: "100" })),
      el("p", { id: "canned-admin-error", class: "error", role: "alert" }),
      el(
        "p",
        { class: "actions" },
        el("button", { type: "submit", id: "canned-add", class: "primary", "data-i18n": "cadmin.add", text: t("cadmin.add") }),
        el("button", { type: "button", id: "canned-close", "data-i18n": "close", text: t("close"), onclick: () => box.close() })
      )
    )
  );
  document.body.append(box);
  return box;
}

export async function openCannedAdmin() {
  const box = dialog();
  $("#canned-admin-error").textContent = "";
  box.showModal();
  await loadItems();
  $("#canned-shortcut").focus();
}

async function loadItems() {
  const list = $("#canned-items");
  try {
    const data = await api("GET", "/console/api/canned");
    const items = data.items || [];
    list.replaceChildren(
      ...(items.length ? items.map(itemNode) : [i18n("li", "cadmin.empty", { class: "muted" })])
    );
  } catch (error) {
    $("#canned-admin-error").textContent = error.message;
  }
}

function itemNode(canned) {
  return el(
    "li",
    { class: "canned-item box", dataset: { id: canned.id, shortcut: canned.shortcut } },
    el(
      "div",
      {},
      el("b", { text: "/" + canned.shortcut }),
      " · " + canned.title,
      el("span", { class: "muted", text: " · " + (canned.team || t("cadmin.every_team")) }),
      el("div", { class: "muted", text: canned.body.slice(0, 160) })
    ),
    el("button", {
      type: "button",
      "aria-label": t("cadmin.delete_one", { shortcut: canned.shortcut }),
      text: t("cadmin.delete"),
      onclick: () => onDelete(canned),
    })
  );
}

async function onCreate(event) {
  event.preventDefault();
  const error = $("#canned-admin-error");
  error.textContent = "";
  const body = {
    shortcut: $("#canned-shortcut").value.trim().replace(/^\//, ""),
    title: $("#canned-title").value.trim(),
    body: $("#canned-body").value,
  };
  const team = $("#canned-team").value.trim();
  if (team) body.team = team;
  try {
    const made = await api("POST", "/console/api/canned", body);
    for (const id of ["#canned-shortcut", "#canned-title", "#canned-body", "#canned-team"]) $(id).value = "";
    announce(t("cadmin.added", { shortcut: made.shortcut }));
    await loadItems();
    $("#canned-shortcut").focus();
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function onDelete(canned) {
  try {
    await api("DELETE", "/console/api/canned/" + encodeURIComponent(canned.id));
    announce(t("cadmin.deleted", { shortcut: canned.shortcut }));
    await loadItems();
    $("#canned-shortcut").focus();
  } catch (failure) {
    $("#canned-admin-error").textContent = failure.message;
  }
}
