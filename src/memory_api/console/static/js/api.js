// The one way the console talks to the server: the ordinary HTTP API, with the tab's API key.
const KEY_STORAGE = "memory_api.key";

export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

let unauthorized = () => {};
export const onUnauthorized = (handler) => { unauthorized = handler; };
export const getKey = () => sessionStorage.getItem(KEY_STORAGE);
export const setKey = (key) => sessionStorage.setItem(KEY_STORAGE, key);
export const clearKey = () => sessionStorage.removeItem(KEY_STORAGE);

// FastAPI's 422 detail is a list of {loc, msg}: one line "field: problem; ...".
export function formatDetail(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((e) => `${(e.loc || []).filter((p) => p !== "body").join(".") || "request"}: ${e.msg}`)
      .join("; ");
  }
  return detail === undefined ? null : JSON.stringify(detail);
}

export async function api(method, path, { body, query, form, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  const key = getKey();
  if (key) headers["X-API-Key"] = key;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, `No answer from the server (${error.message})`);
  }
  const text = response.status === 204 ? "" : await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) {
    const detail = formatDetail(data && data.detail) || `${response.status} ${response.statusText}`;
    if (response.status === 401) unauthorized();
    throw new ApiError(response.status, detail, data);
  }
  return data;
}

// What this server offers, read once from its OpenAPI document: views of routes that another
// version adds (collections, history...) say so instead of calling a route that is not there.
const template = (path) => path.replace(/\{[^}]*\}/g, "{}");

export async function loadCapabilities() {
  const doc = await api("GET", "/openapi.json");
  const ops = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    ops.set(template(path), new Set(Object.keys(item).map((m) => m.toUpperCase())));
  }
  const has = (method, path) => (ops.get(template(path)) || new Set()).has(method);
  const params = (path) =>
    ((doc.paths[path] || {}).get || {}).parameters?.map((p) => p.name) || [];
  const modes = (() => {
    const mode = doc.components?.schemas?.RAGQueryRequest?.properties?.mode;
    const found = mode && (mode.enum || (mode.anyOf || []).flatMap((s) => s.enum || []));
    return found && found.length ? found : [];
  })();
  return {
    has,
    collections: has("GET", "/collections"),
    documents: has("GET", "/collections/{}/documents"),
    documentRead: has("GET", "/collections/{}/documents/{}"),
    documentDelete: has("DELETE", "/collections/{}/documents/{}"),
    upload: has("POST", "/collections/{}/files"),
    history: has("GET", "/state/{}/history"),
    sessionPrefix: params("/sessions").includes("prefix"),
    jobs: has("GET", "/index_jobs"),
    modes,
  };
}
