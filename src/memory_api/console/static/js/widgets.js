// Pieces shared by several views: figures of a collection, the jobs table.
import { h, when, table, badge } from "./dom.js";

export function statsCards(stats) {
  const card = (label, value, hint) =>
    h("div", { class: "card" }, h("div", { class: typeof value === "number" ? "card-value" : "card-value text" }, value), h("div", { class: "card-label" }, label),
      hint ? h("div", { class: "muted small" }, hint) : null);
  const extensions = Object.entries(stats.by_extension || {})
    .map(([ext, v]) => `${ext} ${v.documents}/${v.chunks}`).join(" · ");
  return h("div", { class: "cards" },
    card("documents", stats.documents, extensions ? `${extensions} (docs/chunks)` : null),
    card("chunks", stats.chunks),
    card("vectors", stats.vectors ?? "unreachable"),
    card("embedding model", stats.embedding_model, stats.embedding_dimension ? `${stats.embedding_dimension} dimensions` : null),
    card("last indexed", when(stats.last_indexed_at)));
}

export function jobsTable(jobs, cancel) {
  if (!jobs.length) return h("p", { class: "muted empty" }, "No indexing job yet.");
  return table(["Job", "Status", "Directory", "Created", ""], jobs.map((j) => h("tr", {},
    h("td", {}, h("code", { title: j.task_id }, j.task_id.slice(0, 8))),
    h("td", {}, badge(j.status, j.status), j.status === "in_progress" ? ` ${j.progress}%` : "",
      h("div", { class: "muted small" }, j.details)),
    h("td", { class: "wrap" }, j.directory),
    h("td", {}, when(j.created_at)),
    h("td", {}, cancel && (j.status === "pending" || j.status === "in_progress") && !j.cancel_requested
      ? h("button", { type: "button", class: "ghost small", onclick: () => cancel(j.task_id) }, "Cancel") : null))), "Indexing jobs");
}
