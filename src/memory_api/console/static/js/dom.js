// Small DOM helpers. Text from the server is only ever set as text, never parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const clear = (el) => { el.replaceChildren(); return el; };

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

// A region's three states: busy, an error (role=alert, so screen readers hear it), content.
export function busy(el, text = "Loading…") {
  el.setAttribute("aria-busy", "true");
  return el.replaceChildren(h("p", { class: "loading" }, text));
}

export function showError(el, error, prefix = "") {
  el.removeAttribute("aria-busy");
  const status = error.status ? ` (HTTP ${error.status})` : "";
  el.replaceChildren(
    h("p", { class: "error", role: "alert" }, `${prefix}${error.message || error}${status}`),
  );
}

export function done(el, ...children) {
  el.removeAttribute("aria-busy");
  return append(clear(el), children);
}

export function confirmDialog(text, action = "Delete") {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = action;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

export function when(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export const num = (value, digits = 3) =>
  value === null || value === undefined ? "—" : Number(value).toFixed(digits);

export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("small", { class: "muted" }, hint) : null);
}

export function table(headers, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", {},
      caption ? h("caption", { class: "sr-only" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows)));
}

export const badge = (text, kind = "") => h("span", { class: `badge ${kind}` }, text);
