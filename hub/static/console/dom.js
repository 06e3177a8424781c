/* Small DOM helpers shared by every part of the console. */
// ----- small helpers -------------------------------------------------------------------------
export function $(selector, root) {
  return (root || document).querySelector(selector);
}

/* el("li", {class: "x", dataset: {id: 1}, text: "…"}, child…): the only way this file makes
   DOM from data, so nothing a citizen typed is ever parsed as HTML. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function debounce(fn, ms) {
  let timer = null;
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), ms);
  };
}

export function announce(text) {
  const region = $("#announcer");
  if (!region) return;
  // Emptied first so that the same words twice are read twice.
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 30);
}
