// Sessions: list (id prefix, pages), one state as a JSON tree, its history and diffs, create
// and delete.
import { api } from "./api.js";
import { h, busy, done, showError, confirmDialog, toast, when, field, table } from "./dom.js";
import { jsonTree, jsonDiff, diffView } from "./json.js";

const enc = encodeURIComponent;

export function sessionsView(root, caps) {
  let skip = 0;
  let limit = 25;
  let selected = null;
  const prefix = h("input", { type: "search", placeholder: "agent-", autocomplete: "off" });
  const size = h("select", {}, [10, 25, 100].map((n) => h("option", { value: n, selected: n === limit }, n)));
  const list = h("div", { class: "panel-body" });
  const detail = h("section", { class: "panel detail", "aria-labelledby": "session-title" },
    h("h2", { id: "session-title" }, "Session"), h("p", { class: "muted" }, "Pick a session to see its state."));
  const pager = h("div", { class: "row pager" });

  async function load() {
    busy(list);
    try {
      const rows = await api("GET", "/sessions", {
        query: { skip, limit, prefix: caps.sessionPrefix ? prefix.value : undefined },
      });
      // Without server-side prefix search (an older server), filter this page here.
      const shown = caps.sessionPrefix || !prefix.value
        ? rows : rows.filter((r) => r.session_id.startsWith(prefix.value));
      renderList(shown, rows.length);
    } catch (error) { showError(list, error, "Could not list sessions: "); }
  }

  function renderList(rows, fetched) {
    const note = !caps.sessionPrefix && prefix.value
      ? h("p", { class: "muted small" }, "This server has no prefix search: filtering this page only.") : null;
    const body = rows.length
      ? table(["Session", "Updated", "Keys"], rows.map((r) =>
        h("tr", { class: r.session_id === selected ? "selected" : "" },
          h("td", {}, h("button", { type: "button", class: "link", onclick: () => open(r.session_id) }, r.session_id)),
          h("td", {}, when(r.updated_at)),
          h("td", { class: "num" }, r.state_data && typeof r.state_data === "object" ? Object.keys(r.state_data).length : "—"))), "Sessions")
      : h("p", { class: "muted empty" }, prefix.value ? "No session starts with that prefix." : "No sessions yet.");
    done(list, note, body);
    pager.replaceChildren(
      h("button", { type: "button", class: "ghost", disabled: skip === 0, onclick: () => { skip = Math.max(0, skip - limit); load(); } }, "← Previous"),
      h("span", { class: "muted small" }, fetched ? `${skip + 1}–${skip + fetched}` : ""),
      h("button", { type: "button", class: "ghost", disabled: fetched < limit, onclick: () => { skip += limit; load(); } }, "Next →"));
  }

  async function open(id) {
    selected = id;
    const body = h("div", {});
    const title = h("h2", { id: "session-title", tabindex: "-1" }, h("code", {}, id));
    detail.replaceChildren(title, body);
    title.focus(); // keyboard and screen-reader users land on what they opened (phones: scrolls)
    busy(body);
    try {
      const state = await api("GET", `/state/${enc(id)}`);
      const remove = h("button", { type: "button", class: "danger", onclick: () => removeSession(id) }, "Delete session");
      done(body,
        h("dl", { class: "meta" },
          h("dt", {}, "Created"), h("dd", {}, when(state.created_at)),
          h("dt", {}, "Updated"), h("dd", {}, when(state.updated_at)),
          state.version !== undefined ? [h("dt", {}, "Version"), h("dd", {}, state.version)] : null),
        h("div", { class: "json" }, jsonTree(state.state_data)),
        history(id),
        h("div", { class: "row end" }, remove));
    } catch (error) { showError(body, error, "Could not read the session: "); }
  }

  function history(id) {
    const box = h("section", { class: "history", "aria-label": "History" }, h("h3", {}, "History"));
    if (!caps.history) {
      box.append(h("p", { class: "muted small" }, "State history is not available on this server (no GET /state/{id}/history)."));
      return box;
    }
    const body = h("div", {});
    box.append(body);
    busy(body);
    api("GET", `/state/${enc(id)}/history`, { query: { limit: 20 } }).then((data) => {
      const items = Array.isArray(data) ? data : data.items || data.versions || [];
      if (items.length < 2) return done(body, h("p", { class: "muted small" }, `${items.length} version kept: nothing to compare.`));
      const version = (v) => v.version ?? v.number;
      const pick = (label, index) => field(label, h("select", {}, items.map((v, i) =>
        h("option", { value: version(v), selected: i === index }, `v${version(v)} · ${when(v.updated_at ?? v.created_at ?? v.time)}`))));
      const older = pick("From", 1);
      const newer = pick("To", 0);
      const out = h("div", {});
      const compare = async () => {
        busy(out);
        try {
          const [a, b] = await Promise.all([older, newer].map((f) =>
            api("GET", `/state/${enc(id)}`, { query: { version: f.querySelector("select").value } })));
          done(out, diffView(jsonDiff(a.state_data, b.state_data)));
        } catch (error) { showError(out, error, "Could not compare: "); }
      };
      done(body, h("div", { class: "row" }, older, newer,
        h("button", { type: "button", class: "ghost", onclick: compare }, "Compare")), out);
    }).catch((error) => showError(body, error, "Could not read the history: "));
    return box;
  }

  async function removeSession(id) {
    if (!(await confirmDialog(`Delete session “${id}” and its state? This cannot be undone.`))) return;
    try {
      await api("DELETE", `/state/${enc(id)}`);
      toast(`Session ${id} deleted`, "ok");
      selected = null;
      detail.replaceChildren(h("h2", { id: "session-title" }, "Session"), h("p", { class: "muted" }, `Deleted ${id}.`));
      load();
    } catch (error) { toast(`Could not delete ${id}: ${error.message}`, "bad"); }
  }

  function createForm() {
    const id = h("input", { required: true, pattern: "[A-Za-z0-9._:@\\-]{1,256}", autocomplete: "off" });
    const state = h("textarea", { rows: 4, required: true, spellcheck: "false" }, '{"step": 1}');
    const status = h("p", { class: "small", role: "status" });
    const form = h("form", { class: "panel create", "aria-label": "New session" },
      h("h2", {}, "New session"),
      field("Session id", id, "A-Z a-z 0-9 . _ : @ -, up to 256"),
      field("State (JSON)", state),
      status,
      h("div", { class: "row end" }, h("button", { type: "submit", class: "primary" }, "Save state")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let data;
      try { data = JSON.parse(state.value); } catch (error) {
        status.className = "error small"; status.textContent = `Not valid JSON: ${error.message}`; return;
      }
      status.className = "small"; status.textContent = "Saving…";
      try {
        await api("POST", `/state/${enc(id.value)}`, { body: { state_data: data } });
        status.textContent = ""; toast(`Session ${id.value} saved`, "ok");
        await load(); open(id.value);
      } catch (error) { status.className = "error small"; status.textContent = `Not saved: ${error.message}`; }
    });
    return form;
  }

  let timer;
  prefix.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { skip = 0; load(); }, 250); });
  size.addEventListener("change", () => { limit = Number(size.value); skip = 0; load(); });
  root.replaceChildren(h("h1", {}, "Sessions"),
    h("div", { class: "split" },
      h("div", { class: "stack" },
        h("section", { class: "panel", "aria-label": "Session list" },
          h("div", { class: "row toolbar" }, field("Session id prefix", prefix), field("Per page", size)),
          list, pager),
        createForm()),
      detail));
  load();
  return () => clearTimeout(timer);
}
