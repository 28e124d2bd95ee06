// Search playground: one /rag_query with its options; each hit with its ranks, scores and the
// matched terms highlighted.
import { api } from "./api.js";
import { h, busy, done, showError, field, num } from "./dom.js";

const ordinal = (n) => `${n}${["th", "st", "nd", "rd"][(n % 100 > 10 && n % 100 < 14) || n % 10 > 3 ? 0 : n % 10]}`;

// Matched terms are index terms (stemmed, lower-case): mark each word that starts with one.
export function highlight(text, terms) {
  if (!terms.length) return [text];
  const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`\\b(?:${escaped.join("|")})[\\p{L}\\p{N}_]*`, "giu");
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push(text.slice(last, match.index), h("mark", {}, match[0]));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function explain(s, mode) {
  const parts = [];
  if (s.semantic_rank) parts.push(`${ordinal(s.semantic_rank)} by meaning (cosine ${num(s.semantic)})`);
  if (s.lexical_rank) parts.push(`${ordinal(s.lexical_rank)} by words (BM25 ${num(s.lexical, 2)})`);
  if (!parts.length) return `Ordered by ${mode} score ${num(s.fused)}.`;
  return `${parts.join(" and ")}; ${mode === "hybrid" ? "fused" : mode} score ${num(s.fused)}.`;
}

function result(hit, rank, mode) {
  const m = hit.metadata || {};
  const s = hit.scores || {};
  const score = (label, value, place) => h("div", { class: "score" },
    h("span", { class: "muted small" }, label), h("strong", {}, value), place ? h("span", { class: "muted small" }, `#${place}`) : null);
  return h("li", { class: "hit" },
    h("div", { class: "hit-head" },
      h("span", { class: "rank" }, `#${rank}`),
      h("code", { class: "wrap" }, m.relative_path || m.source || hit.doc_id),
      m.chunk_index !== undefined ? h("span", { class: "muted small" }, `chunk ${m.chunk_index}`) : null,
      h("meter", { min: 0, max: 1, value: Math.max(0, hit.similarity_score), "aria-label": "Score" })),
    h("div", { class: "scores" },
      score("fused", num(s.fused)), score("semantic", num(s.semantic), s.semantic_rank),
      score("lexical", num(s.lexical, 2), s.lexical_rank)),
    h("p", { class: "why small" }, explain(s, mode)),
    hit.matched_terms?.length ? h("p", { class: "terms small" }, "Matched terms: ",
      hit.matched_terms.map((t) => h("span", { class: "term" }, t))) : null,
    h("pre", { class: "content" }, highlight(hit.content, hit.matched_terms || [])));
}

export function searchView(root, caps) {
  const query = h("input", { type: "search", required: true, autocomplete: "off", placeholder: "how do we rotate the API keys?" });
  const modes = caps.modes.length ? caps.modes : ["hybrid", "semantic", "lexical"];
  const mode = h("select", {}, modes.map((m) => h("option", { value: m }, m)));
  const topK = h("input", { type: "number", min: 1, max: 20, value: 5, required: true });
  const collection = h("input", { autocomplete: "off", placeholder: "default" });
  const filter = h("textarea", { rows: 2, spellcheck: "false", placeholder: '{"extension": ".md"}' });
  const out = h("section", { class: "results", "aria-label": "Results", "aria-live": "polite" });
  const form = h("form", { class: "panel search-form", role: "search" },
    h("div", { class: "grow" }, field("Query", query)),
    h("div", { class: "row" }, field("Mode", mode), field("Top k", topK), field("Collection", collection)),
    field("Metadata filter (JSON, optional)", filter, "Chroma-style: {\"chunk_index\": {\"$lt\": 3}}"),
    h("div", { class: "row end" }, h("button", { type: "submit", class: "primary" }, "Search")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { query: query.value, top_k: Number(topK.value), mode: mode.value };
    if (collection.value.trim()) body.collection = collection.value.trim();
    if (filter.value.trim()) {
      try { body.filter_metadata = JSON.parse(filter.value); } catch (error) {
        return showError(out, new Error(`The filter is not valid JSON: ${error.message}`));
      }
    }
    busy(out, "Searching…");
    try {
      const data = await api("POST", "/rag_query", { body });
      done(out,
        h("p", { class: "muted small" }, `${data.results.length} result(s) in ${num(data.execution_time_ms, 1)} ms · ${data.mode ?? mode.value} · ${data.collection ?? "default"}`),
        data.results.length
          ? h("ol", { class: "hits" }, data.results.map((hit, i) => result(hit, i + 1, data.mode ?? mode.value)))
          : h("p", { class: "muted empty" }, "Nothing matched."));
    } catch (error) { showError(out, error, "Search failed: "); }
  });
  root.replaceChildren(h("h1", {}, "Search playground"), form, out);
  query.focus();
  return () => {};
}
