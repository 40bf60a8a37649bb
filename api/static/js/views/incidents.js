// "Incidents": the history, filterable by service, category, country and date (all kept in the URL).

import { getJSON, query } from "../api.js";
import { catalog } from "../catalog.js";
import { clear, h } from "../dom.js";
import { exportBar, tableToPng } from "../export.js";
import { count, problemWord, share } from "../format.js";
import { elapsedText, parseTime, setDataNow, timeEl } from "../time.js";

const PAGE = 200;
const FILTERS = ["service", "category", "country", "from", "to"];

function dayStart(text) {
  return text ? new Date(`${text}T00:00:00`).toISOString() : null;
}

function dayEnd(text) {
  if (!text) return null;
  const end = new Date(`${text}T00:00:00`);
  end.setDate(end.getDate() + 1);
  return end.toISOString();
}

function select(id, label, choices, value) {
  return [h("label", { for: id }, label),
    h("select", { id, name: id },
      h("option", { value: "" }, "Any"),
      choices.map(([key, text]) => h("option", { value: key, selected: key === value }, text)))];
}

function topKeys(record, words = (k) => k) {
  return Object.entries(record || {}).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([key, value]) => (value <= 1 ? `${words(key)} ${share(value)}` : `${words(key)} (${count(value)})`)).join(", ");
}

const MARGIN_MS = 2 * 3600e3;

// The service page over the incident with two hours either side (up to now while it is ongoing).
export function serviceLink(incident) {
  const started = parseTime(incident.started_at);
  const ended = parseTime(incident.ended_at);
  const range = { range: "custom", from: new Date(started.getTime() - MARGIN_MS).toISOString(),
    to: ended ? new Date(ended.getTime() + MARGIN_MS).toISOString() : null };
  return `/s/${encodeURIComponent(incident.service)}${query(range)}`;
}

export async function renderIncidents(main, ctx) {
  const params = ctx.url.searchParams;
  const chosen = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) || ""]));
  main.append(h("h1", {}, "Incidents"), h("p", { class: "lede" }, "Every outage downwatch detected, newest first."));
  let services;
  try {
    services = await catalog();
  } catch (error) {
    main.append(h("p", { class: "error" }, `Could not load the service list: ${error.message}`));
    return () => {};
  }
  const bySlug = new Map(services.map((s) => [s.slug, s]));
  const categories = [...new Set(services.map((s) => s.category))].sort().map((c) => [c, c]);
  const countries = [...new Set(services.map((s) => s.country))].sort().map((c) => [c, c]);
  const serviceChoices = [...services].sort((a, b) => a.name.localeCompare(b.name)).map((s) => [s.slug, s.name]);

  const form = h("form", { class: "filters", "aria-label": "Filter incidents" },
    h("div", {}, ...select("service", "Service", serviceChoices, chosen.service)),
    h("div", {}, ...select("category", "Category", categories, chosen.category)),
    h("div", {}, ...select("country", "Country", countries, chosen.country)),
    h("div", {}, h("label", { for: "from" }, "From"), h("input", { type: "date", id: "from", name: "from", value: chosen.from })),
    h("div", {}, h("label", { for: "to" }, "To"), h("input", { type: "date", id: "to", name: "to", value: chosen.to })),
    h("div", { class: "filter-actions" }, h("button", { type: "submit" }, "Filter"),
      h("a", { href: "/incidents", "data-nav": true }, "Clear")));
  const status = h("p", { role: "status", id: "incidents-status" }, "Loading…");
  const body = h("tbody", {});
  const table = h("table", { class: "incidents" },
    h("caption", { class: "visually-hidden" }, "Incidents, newest first"),
    h("thead", {}, h("tr", {}, ["Service", "Severity", "Started", "Peak", "Ended", "Duration", "What failed", "Where"]
      .map((c) => h("th", { scope: "col" }, c)))),
    body);
  const more = h("button", { type: "button", hidden: true }, "Show older incidents");
  const rows = [];
  const tableData = () => ({
    columns: ["id", "service", "status", "severity", "started_at", "detected_at", "peak_at", "peak_count", "ended_at"],
    rows: rows.map((i) => [i.id, i.service, i.status, i.severity, i.started_at, i.detected_at, i.peak_at, i.peak_count, i.ended_at]),
  });
  main.append(form, status, h("div", { class: "table-scroll" }, table), more,
    exportBar("downwatch-incidents", { table: tableData,
      png: () => tableToPng("downwatch incidents", ...Object.values(tableData())) }));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    ctx.navigate(`/incidents${query(values)}`);
  });

  function keep(incident) {
    const service = bySlug.get(incident.service);
    if (chosen.category && (!service || service.category !== chosen.category)) return false;
    if (chosen.country && (!service || service.country !== chosen.country)) return false;
    return true;
  }

  function add(incident) {
    const service = bySlug.get(incident.service);
    const started = parseTime(incident.started_at);
    const ended = parseTime(incident.ended_at);
    body.append(h("tr", { "data-service": incident.service },
      h("th", { scope: "row" }, h("a", { href: serviceLink(incident), "data-nav": true }, service ? service.name : incident.service)),
      h("td", {}, h("span", { class: `badge small status-${incident.severity}` }, incident.status === "active" ? `${incident.severity}, ongoing` : incident.severity)),
      h("td", {}, timeEl(incident.started_at, { full: true })),
      h("td", {}, incident.peak_count !== null ? [count(incident.peak_count), " at ", timeEl(incident.peak_at)] : "—"),
      h("td", {}, ended ? timeEl(ended) : "ongoing"),
      h("td", { "data-role": "duration" }, elapsedText(started, ended) || "—"),
      h("td", {}, topKeys(incident.problems, problemWord)),
      h("td", {}, topKeys(incident.locations))));
  }

  let offset = 0;
  async function load() {
    more.hidden = true;
    try {
      const page = await getJSON(`/v1/incidents${query({ service: chosen.service, from: dayStart(chosen.from), to: dayEnd(chosen.to), limit: PAGE, offset })}`);
      setDataNow(page.as_of);
      const kept = page.incidents.filter(keep);
      kept.forEach((incident) => { rows.push(incident); add(incident); });
      offset = page.next_offset ?? offset;
      more.hidden = page.next_offset === null;
      clear(status).append(rows.length ? `${rows.length} incident${rows.length === 1 ? "" : "s"} shown` : "No incident matches these filters.",
        chosen.from || chosen.to ? ` (dates: ${chosen.from || "…"} to ${chosen.to || "…"}, your time zone)` : "");
    } catch (error) {
      clear(status).append(`Could not load incidents: ${error.message}`);
    }
  }
  more.addEventListener("click", load);
  await load();
  return () => {};
}
