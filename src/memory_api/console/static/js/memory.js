// Long-term memory: collections and their documents (when the server has those routes), the
// default collection's figures, file upload, and indexing jobs with live progress.
import { api } from "./api.js";
import { h, busy, done, showError, confirmDialog, toast, when, field, table, badge } from "./dom.js";
import { jobsTable, statsCards } from "./widgets.js";

const enc = encodeURIComponent;
const POLL_MS = 500;

export function memoryView(root, caps) {
  const stop = new AbortController();
  const collections = h("div", { class: "panel-body" });
  const documents = h("section", { class: "panel", "aria-labelledby": "docs-title" },
    h("h2", { id: "docs-title" }, "Documents"));
  const jobs = h("div", { class: "panel-body" });

  // ``open``: also open the first collection (not when only its counts need refreshing).
  async function loadCollections(open = true) {
    busy(collections);
    try {
      if (!caps.collections) {
        const stats = await api("GET", "/rag_stats");
        done(collections,
          h("p", { class: "notice" }, "This server has no collections API (GET /collections): showing its one collection from /rag_stats."),
          h("h3", {}, h("code", {}, stats.collection)), statsCards(stats));
        documents.replaceChildren(h("h2", { id: "docs-title" }, "Documents"),
          h("p", { class: "notice" }, "Browsing, uploading and deleting documents need the documents API (GET /collections/{name}/documents), which this server does not have. Index a folder instead."));
        return;
      }
      const data = await api("GET", "/collections");
      const rows = Array.isArray(data) ? data : data.items || data.collections || [];
      done(collections, rows.length ? table(["Collection", "Documents", "Chunks", "Model", "Created"],
        rows.map((c) => h("tr", {},
          h("td", {}, h("button", { type: "button", class: "link", onclick: () => openCollection(c.name) }, c.name)),
          h("td", { class: "num" }, c.documents ?? c.document_count ?? "—"),
          h("td", { class: "num" }, c.chunks ?? c.chunk_count ?? "—"),
          h("td", {}, c.embedding_model ?? "—"),
          h("td", {}, when(c.created_at)))), "Collections")
        : h("p", { class: "muted empty" }, "No collections yet."));
      if (rows.length && open) openCollection(rows[0].name);
    } catch (error) { showError(collections, error, "Could not list collections: "); }
  }

  async function openCollection(name) {
    const list = h("div", {});
    const prefix = h("input", { type: "search", autocomplete: "off" });
    prefix.addEventListener("change", () => loadDocuments(name, list, prefix.value));
    documents.replaceChildren(h("h2", { id: "docs-title" }, "Documents in ", h("code", {}, name)),
      caps.upload ? dropZone(name, () => { loadDocuments(name, list, prefix.value); loadCollections(false); }) : null,
      h("div", { class: "row toolbar" }, field("Document id prefix", prefix)), list);
    loadDocuments(name, list, "");
  }

  async function loadDocuments(name, list, prefix) {
    busy(list);
    try {
      const data = await api("GET", `/collections/${enc(name)}/documents`, { query: { prefix, limit: 50 } });
      const rows = Array.isArray(data) ? data : data.items || data.documents || [];
      done(list, rows.length ? table(["Document", "Chunks", "Source", "Updated", ""], rows.map((d) => h("tr", {},
        h("td", {}, caps.documentRead
          ? h("button", { type: "button", class: "link", onclick: () => openDocument(name, d.doc_id, list) }, d.doc_id)
          : d.doc_id),
        h("td", { class: "num" }, d.chunk_count ?? d.chunks ?? "—"),
        h("td", {}, d.source ?? "—"),
        h("td", {}, when(d.updated_at)),
        h("td", {}, caps.documentDelete ? h("button", {
          type: "button", class: "danger small", "aria-label": `Delete ${d.doc_id}`,
          onclick: () => removeDocument(name, d.doc_id, list),
        }, "Delete") : null))), "Documents")
        : h("p", { class: "muted empty" }, "No documents."));
    } catch (error) { showError(list, error, "Could not list documents: "); }
  }

  async function openDocument(name, docId, list) {
    const box = h("div", { class: "doc" });
    list.prepend(box);
    busy(box);
    try {
      const doc = await api("GET", `/collections/${enc(name)}/documents/${enc(docId)}`, { query: { include_chunks: true } });
      const chunks = doc.chunks || [];
      done(box, h("h3", {}, h("code", {}, docId)),
        h("dl", { class: "meta" },
          h("dt", {}, "Chunks"), h("dd", {}, doc.chunk_count ?? chunks.length),
          h("dt", {}, "Hash"), h("dd", {}, h("code", {}, doc.content_hash ?? "—")),
          h("dt", {}, "Source"), h("dd", {}, doc.source ?? "—")),
        chunks.length
          ? h("ol", { class: "chunks" }, chunks.map((c) => h("li", {}, h("pre", {}, c.content ?? c.text ?? JSON.stringify(c)))))
          : h("pre", { class: "doc-text" }, doc.text ?? ""));
    } catch (error) { showError(box, error, "Could not read the document: "); }
  }

  async function removeDocument(name, docId, list) {
    if (!(await confirmDialog(`Delete document “${docId}” from ${name}? Its chunks leave every index.`))) return;
    try {
      await api("DELETE", `/collections/${enc(name)}/documents/${enc(docId)}`);
      toast(`Deleted ${docId}`, "ok");
      loadDocuments(name, list, "");
      loadCollections(false);
    } catch (error) { toast(`Could not delete ${docId}: ${error.message}`, "bad"); }
  }

  function dropZone(name, reload) {
    const input = h("input", { type: "file", multiple: true, class: "sr-only", id: "upload-input" });
    const status = h("div", { class: "small", role: "status", "aria-live": "polite" });
    const upload = async (files) => {
      if (!files.length) return;
      const form = new FormData();
      for (const file of files) form.append("files", file);
      status.className = "small"; status.textContent = `Uploading ${files.length} file(s)…`;
      try {
        const result = await api("POST", `/collections/${enc(name)}/files`, { form });
        if (result && result.task_id) follow(result.task_id, status, reload, "Upload progress");
        else { status.textContent = "Uploaded and indexed."; reload(); }
      } catch (error) { status.className = "error small"; status.textContent = `Upload failed: ${error.message}`; }
    };
    input.addEventListener("change", () => upload([...input.files]));
    const zone = h("label", { class: "drop", for: "upload-input" }, "Drop files here, or choose files to upload");
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); upload([...e.dataTransfer.files]); });
    return h("div", {}, input, zone, status);
  }

  async function loadJobs() {
    if (!caps.jobs) return done(jobs, h("p", { class: "muted" }, "This server does not list jobs."));
    try {
      done(jobs, jobsTable(await api("GET", "/index_jobs", { query: { limit: 10 } }), cancel));
    } catch (error) { showError(jobs, error, "Could not list jobs: "); }
  }

  async function cancel(taskId) {
    try {
      await api("POST", `/index_status/${enc(taskId)}/cancel`);
      toast("Cancel requested", "ok");
      loadJobs();
    } catch (error) { toast(`Could not cancel: ${error.message}`, "bad"); }
  }

  function indexForm() {
    const directory = h("input", { placeholder: "/srv/notes (empty: the first allowed root)", autocomplete: "off" });
    const extensions = h("input", { value: ".md, .txt, .py", autocomplete: "off" });
    const force = h("input", { type: "checkbox" });
    const progress = h("div", { class: "job", role: "status", "aria-live": "polite" });
    const form = h("form", { class: "panel", "aria-label": "Index a folder" },
      h("h2", {}, "Index a folder"),
      field("Directory (absolute, inside MEMORY_API_INDEX_ROOTS)", directory),
      field("File extensions", extensions, "comma-separated"),
      h("label", { class: "check" }, force, " Re-embed every file (force)"),
      h("div", { class: "row end" }, h("button", { type: "submit", class: "primary" }, "Start indexing")),
      progress);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        file_extensions: extensions.value.split(",").map((x) => x.trim()).filter(Boolean),
        force_reindex: force.checked,
      };
      if (directory.value.trim()) body.directory = directory.value.trim();
      progress.replaceChildren(h("p", { class: "loading" }, "Starting…"));
      try {
        const started = await api("POST", "/index_files", { body });
        follow(started.task_id, progress);
      } catch (error) { showError(progress, error, "Not started: "); }
    });
    return form;
  }

  // Polls the job into ``box`` until it ends, then refreshes the jobs and calls ``then``.
  async function follow(taskId, box, then = loadCollections, barLabel = "Indexing progress") {
    const bar = h("progress", { max: 100, value: 0, "aria-label": barLabel });
    const label = h("span", { class: "job-status" }, "pending");
    const details = h("p", { class: "small muted" });
    box.replaceChildren(h("div", { class: "row" }, label, bar), details);
    while (!stop.signal.aborted) {
      let job;
      try {
        job = await api("GET", `/index_status/${enc(taskId)}`, { signal: stop.signal });
      } catch (error) {
        if (error.name === "AbortError") return;
        return showError(box, error, "Lost the job: ");
      }
      bar.value = job.progress;
      label.replaceChildren(badge(job.status, job.status), ` ${job.progress}%`);
      details.textContent = job.details;
      if (job.status === "completed" || job.status === "failed") break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    loadJobs();
    then();
  }

  root.replaceChildren(h("h1", {}, "Long-term memory"),
    h("div", { class: "split" },
      h("div", { class: "stack" },
        h("section", { class: "panel", "aria-labelledby": "coll-title" }, h("h2", { id: "coll-title" }, "Collections"), collections),
        documents),
      h("div", { class: "stack" }, indexForm(),
        h("section", { class: "panel", "aria-labelledby": "jobs-title" }, h("h2", { id: "jobs-title" }, "Recent jobs"), jobs))));
  loadCollections();
  loadJobs();
  return () => stop.abort();
}
