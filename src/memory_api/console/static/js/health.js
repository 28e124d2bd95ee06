// Health and figures: dependencies, the default collection, recent jobs; refreshes by itself.
import { api } from "./api.js";
import { h, busy, done, showError, when, badge } from "./dom.js";
import { jobsTable, statsCards } from "./widgets.js";

const REFRESH_MS = 5000;

export function healthView(root, caps) {
  const services = h("div", { class: "panel-body" });
  const stats = h("div", { class: "panel-body" });
  const jobs = h("div", { class: "panel-body" });
  const stamp = h("span", { class: "muted small" });
  const auto = h("input", { type: "checkbox", checked: true });
  let timer = null;
  let alive = true;

  async function refresh() {
    clearTimeout(timer);
    const [health, figures, recent] = await Promise.allSettled([
      // /health answers 503 with the same body when a dependency is down: show it, not an error.
      api("GET", "/health").catch((error) => { if (error.status === 503 && error.body?.services) return error.body; throw error; }),
      api("GET", "/rag_stats"),
      caps.jobs ? api("GET", "/index_jobs", { query: { limit: 5 } }) : Promise.resolve([]),
    ]);
    if (!alive) return;
    if (health.status === "fulfilled") {
      const body = health.value;
      done(services, h("p", {}, "Overall: ", badge(body.status, body.status)),
        h("ul", { class: "services" }, Object.entries(body.services).map(([name, s]) =>
          h("li", {}, badge(s.status, s.status), " ", h("strong", {}, name.replace(/_/g, " ")),
            s.detail ? h("div", { class: "muted small wrap" }, s.detail) : null))));
    } else showError(services, health.reason, "Health unknown: ");
    if (figures.status === "fulfilled") done(stats, h("h3", {}, h("code", {}, figures.value.collection)), statsCards(figures.value),
      h("p", { class: "small muted" }, "Jobs: ", Object.entries(figures.value.jobs).map(([k, v]) => `${k} ${v}`).join(" · ")));
    else showError(stats, figures.reason, "Statistics unavailable: ");
    if (recent.status === "fulfilled") done(jobs, jobsTable(recent.value));
    else showError(jobs, recent.reason, "Jobs unavailable: ");
    stamp.textContent = `Updated ${when(new Date().toISOString())}`;
    if (auto.checked && alive) timer = setTimeout(refresh, REFRESH_MS);
  }

  auto.addEventListener("change", () => (auto.checked ? refresh() : clearTimeout(timer)));
  root.replaceChildren(
    h("div", { class: "row spread" }, h("h1", {}, "Health and statistics"),
      h("div", { class: "row" }, stamp, h("label", { class: "check" }, auto, " Refresh every 5 s"),
        h("button", { type: "button", class: "ghost", onclick: refresh }, "Refresh now"))),
    h("div", { class: "grid" },
      h("section", { class: "panel", "aria-labelledby": "svc-title" }, h("h2", { id: "svc-title" }, "Dependencies"), services),
      h("section", { class: "panel wide", "aria-labelledby": "stats-title" }, h("h2", { id: "stats-title" }, "Default collection"), stats),
      h("section", { class: "panel wide", "aria-labelledby": "recent-title" }, h("h2", { id: "recent-title" }, "Recent jobs"), jobs)));
  [services, stats, jobs].forEach((el) => busy(el));
  refresh();
  return () => { alive = false; clearTimeout(timer); };
}
