// A collapsible JSON tree (native <details>: keyboard and screen readers work as they are)
// and a diff between two JSON values by path.
import { h } from "./dom.js";

const MAX_CHILDREN = 200;

function leaf(value) {
  const kind = value === null ? "null" : typeof value;
  return h("span", { class: `j-${kind}` }, JSON.stringify(value));
}

export function jsonTree(value, name = "state", depth = 0) {
  if (value === null || typeof value !== "object") {
    return h("div", { class: "j-row" }, h("span", { class: "j-key" }, name), ": ", leaf(value));
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  const children = entries.slice(0, MAX_CHILDREN).map(([k, v]) => jsonTree(v, String(k), depth + 1));
  if (entries.length > MAX_CHILDREN) {
    children.push(h("div", { class: "muted" }, `… ${entries.length - MAX_CHILDREN} more`));
  }
  return h("details", { class: "j-node", open: depth < 2 },
    h("summary", {}, h("span", { class: "j-key" }, name), " ", h("span", { class: "muted" }, summary)),
    h("div", { class: "j-children" }, children));
}

function flatten(value, path, out) {
  if (value !== null && typeof value === "object" && Object.keys(value).length) {
    for (const [k, v] of Object.entries(value)) {
      flatten(v, Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`, out);
    }
  } else {
    out.set(path || "$", JSON.stringify(value));
  }
  return out;
}

// [{path, kind: "added"|"removed"|"changed", before, after}], in path order.
export function jsonDiff(before, after) {
  const a = flatten(before, "$", new Map());
  const b = flatten(after, "$", new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes = [];
  for (const path of paths) {
    if (!b.has(path)) changes.push({ path, kind: "removed", before: a.get(path) });
    else if (!a.has(path)) changes.push({ path, kind: "added", after: b.get(path) });
    else if (a.get(path) !== b.get(path)) {
      changes.push({ path, kind: "changed", before: a.get(path), after: b.get(path) });
    }
  }
  return changes;
}

export function diffView(changes) {
  if (!changes.length) return h("p", { class: "muted" }, "The two versions are identical.");
  return h("ul", { class: "diff" }, changes.map((c) =>
    h("li", { class: `diff-${c.kind}` },
      h("code", {}, c.path), " ",
      c.kind === "changed" ? [h("del", {}, c.before), " → ", h("ins", {}, c.after)]
        : c.kind === "added" ? h("ins", {}, c.after) : h("del", {}, c.before))));
}
