// The front page's latest incidents: the newest few, each with its service, severity, when it started
// and how long it lasted (or that it is ongoing), all on the data's clock.

import { getJSON, query } from "../api.js";
import { catalog } from "../catalog.js";
import { clear, h } from "../dom.js";
import { count } from "../format.js";
import { elapsedText, setDataNow, timeEl } from "../time.js";
import { serviceLink } from "./incidents.js";

const LATEST = 5;

function item(incident, names) {
  const ongoing = incident.status === "active";
  const duration = elapsedText(incident.started_at, incident.ended_at);
  return h("li", { class: "latest-item", "data-service": incident.service, "data-id": String(incident.id) },
    h("a", { href: serviceLink(incident), "data-nav": true }, names.get(incident.service) || incident.service), " ",
    h("span", { class: `badge small status-${incident.severity}` }, ongoing ? `${incident.severity}, ongoing` : incident.severity),
    h("br"),
    h("span", { class: "muted" }, "Started ", timeEl(incident.started_at, { full: true }),
      duration ? [" · ", h("span", { "data-role": "duration" }, ongoing ? `${duration} so far` : `lasted ${duration}`)] : null,
      incident.peak_count !== null ? [` · peak ${count(incident.peak_count)} at `, timeEl(incident.peak_at)] : null));
}

export async function latestIncidents(panel) {
  const heading = h("h2", { id: "latest-incidents-h" }, "Latest incidents");
  const all = h("p", {}, h("a", { href: "/incidents", "data-nav": true }, "Every incident"));
  try {
    const [page, services] = await Promise.all([getJSON(`/v1/incidents${query({ limit: LATEST })}`), catalog()]);
    setDataNow(page.as_of);
    const names = new Map(services.map((s) => [s.slug, s.name]));
    clear(panel).append(heading, page.incidents.length
      ? h("ol", { class: "latest-list" }, page.incidents.map((incident) => item(incident, names)))
      : h("p", {}, "No incident detected yet."), all);
  } catch (error) {
    clear(panel).append(heading, h("p", { class: "error" }, `Could not load the latest incidents: ${error.message}`), all);
  }
}
