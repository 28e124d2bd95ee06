// The console's entry: asks for a key when the server needs one, then routes #/view to a view.
import { api, getKey, setKey, clearKey, onUnauthorized, loadCapabilities, ApiError } from "./api.js";
import { h, showError } from "./dom.js";
import { sessionsView } from "./sessions.js";
import { memoryView } from "./memory.js";
import { searchView } from "./search.js";
import { healthView } from "./health.js";

const VIEWS = { sessions: sessionsView, memory: memoryView, search: searchView, health: healthView };
const main = document.getElementById("main");
let caps = null;
let cleanup = () => {};

function askKey(message) {
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  const error = document.getElementById("key-error");
  error.hidden = !message;
  error.textContent = message || "";
  input.value = "";
  if (!dialog.open) dialog.showModal();
  input.focus();
  return new Promise((resolve) => {
    const form = document.getElementById("key-form");
    const submit = (event) => {
      event.preventDefault();
      if (!input.value.trim()) return;
      form.removeEventListener("submit", submit);
      dialog.close();
      resolve(input.value.trim());
    };
    form.addEventListener("submit", submit);
    dialog.addEventListener("cancel", (event) => event.preventDefault(), { once: true });
  });
}

async function signIn(config) {
  let message = null;
  for (;;) {
    if (config.auth_required && !getKey()) setKey(await askKey(message));
    try {
      return await loadCapabilities();
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      clearKey();
      message = "That key was refused. Try again.";
    }
  }
}

function route() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const view = VIEWS[name] ? name : "sessions";
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  cleanup();
  const root = h("div", { class: "view" });
  main.replaceChildren(root);
  cleanup = VIEWS[view](root, caps) || (() => {});
  document.title = `${document.querySelector(`nav a[data-view="${view}"]`).textContent} · memory_api console`;
}

async function boot() {
  try {
    const config = await api("GET", "/ui/config");
    caps = await signIn(config);
    const button = document.getElementById("key-button");
    button.hidden = !config.auth_required;
    // /docs needs a key like /openapi.json, which a page load cannot send: link it only when
    // the server has none.
    document.getElementById("docs-link").hidden = config.auth_required;
    button.addEventListener("click", () => { clearKey(); location.reload(); });
    // A key revoked while the tab is open: ask again, then reload the view.
    onUnauthorized(async () => {
      clearKey();
      setKey(await askKey("The server refused the key. Enter a valid one."));
      route();
    });
    window.addEventListener("hashchange", () => { route(); main.focus(); });
    route();
  } catch (error) {
    showError(main, error, "The console could not start: ");
  }
}

boot();
