import { setStatus } from "./actions.js";
import { onComposerInput, setMode } from "./composer.js";
import { $ } from "./dom.js";
import { state } from "./state.js";

// ----- keyboard ------------------------------------------------------------------------------
export function typing(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
}

export function step(by) {
  const links = Array.from(document.querySelectorAll("#queue a.item"));
  if (!links.length) return;
  let index = links.findIndex((a) => a.dataset.id === state.current);
  index = index < 0 ? (by > 0 ? 0 : links.length - 1) : Math.max(0, Math.min(links.length - 1, index + by));
  links[index].focus();
  window.location.hash = "#c/" + encodeURIComponent(links[index].dataset.id);
}

export function onKey(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (typing(event.target)) return; // never steal a key from a field (Ctrl+Enter is the box's own)
  if ($("dialog[open]")) return;
  const key = event.key;
  if (key === "j" || key === "k") {
    event.preventDefault();
    step(key === "j" ? 1 : -1);
  } else if (key === "r" && state.current && $("#reply-text")) {
    event.preventDefault();
    setMode("reply");
  } else if (key === "n" && state.current && $("#reply-text")) {
    event.preventDefault();
    setMode("note");
  } else if (key === "e" && state.current && state.detail && state.detail.status !== "resolved") {
    event.preventDefault();
    setStatus("resolved");
  } else if (key === "/" && state.current && $("#reply-text")) {
    event.preventDefault();
    const box = $("#reply-text");
    box.focus();
    const before = box.value.slice(0, box.selectionStart);
    const sep = before && !/\s$/.test(before) ? " " : "";
    box.setRangeText(sep + "/", box.selectionStart, box.selectionEnd, "end");
    onComposerInput();
  } else if (key === "?") {
    event.preventDefault();
    $("#help").showModal();
  }
}
