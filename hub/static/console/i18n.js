/* The chosen language, lookup with {placeholders}, and re-labelling the page when it changes. */
import { updateTitle } from "./alerts.js";
import { $, el } from "./dom.js";
import { state } from "./state.js";
import { STRINGS } from "./strings.js";

export const LANG_KEY = "tongdai.console.lang";
export let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "vi";

// Imports are read-only, so the one place that changes the language goes through here.
export function setLang(value) {
  lang = value;
}

export function t(key, vars) {
  let text = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.vi[key] || key;
  if (vars) {
    text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }
  return text;
}

export function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  document.querySelectorAll("[data-i18n-label]").forEach((el) => {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  });
  state.baseTitle = t(document.body.dataset.page === "audit" ? "title.audit" : "title.console");
  updateTitle();
  const button = $("#lang");
  if (button) {
    button.textContent = t("lang.switch");
    button.lang = lang === "vi" ? "en" : "vi";
  }
}

export function i18n(tag, key, attrs) {
  return el(tag, Object.assign({ "data-i18n": key, text: t(key) }, attrs || {}));
}

export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    dateStyle: "short",
    timeStyle: "short",
    timeZone: "Asia/Ho_Chi_Minh",
  }).format(date);
}
