// "Now", the front page: the services whose activity is worth a headline, most newsworthy first; then,
// so that the page is useful when nothing is down, the most reported services against their usual level,
// the latest incidents and where reports come from. Which services are news, and which figures may be
// printed, is the server's rule (api/headline.py); the live stream only says when to ask again.

import { getJSON } from "../api.js";
import { sparkline } from "../chart.js";
import { append, clear, h } from "../dom.js";
import { exportBar, tableToPng } from "../export.js";
import { count, countOf, spanWords, statusWord, timesNormal, usually } from "../format.js";
import { announce, liveVerdicts, showConnection } from "../live.js";
import { mapPanel, showMap } from "../map.js";
import { setDataNow, timeEl, utcText } from "../time.js";
import { latestIncidents } from "./latest.js";

const SPARK_HOURS = 3;
const REFRESH_MS = 60000;
const RELOAD_AFTER_CHANGE_MS = 1500;

function sparkLabel(entry, step) {
  const values = (entry.spark || []).map((p) => p.observed ?? 0);
  if (!values.length) return `No counts for ${entry.name} in the last ${SPARK_HOURS} hours`;
  const expected = entry.spark.at(-1).expected;
  return `${entry.name}, reports over the last ${SPARK_HOURS} hours: peak ${count(Math.max(...values))}, `
    + `latest ${count(values.at(-1))}, ${usually(expected)} (reports per ${spanWords(step)})`;
}

// "45 reports in the last 15 minutes (usually about 3)".
function windowWords(headline) {
  if (headline.observed === null || headline.observed === undefined) return null;
  return `${countOf(headline.observed, "report")} in the last ${spanWords(headline.window_seconds)}`
    + ` (${usually(headline.expected)})`;
}

function row(entry, rank, step, itemClass = "now-item") {
  const headline = entry.headline;
  const times = timesNormal(headline.ratio);
  const words = windowWords(headline);
  const facts = [
    times ? h("strong", { class: "times" }, times) : null,
    headline.why === "rise" ? h("span", { class: "rising" }, "reports rising") : null,
    headline.since ? h("span", { class: "since" }, "since ", timeEl(headline.since)) : null,
    words ? h("span", { class: "window" }, words) : null,
  ].filter(Boolean);
  return h("li", { class: `${itemClass} status-${entry.status}`, "data-slug": entry.slug, "data-status": entry.status,
    "data-why": headline.why },
  h("span", { class: "rank", "aria-hidden": "true" }, String(rank)),
  h("div", { class: "now-main" },
    h("a", { class: "now-name", href: `/s/${encodeURIComponent(entry.slug)}`, "data-nav": true }, entry.name),
    h("span", { class: `badge status-${entry.status}` }, statusWord(entry.status)),
    h("p", { class: "now-facts" }, facts.flatMap((fact, i) => (i ? [" · ", fact] : [fact])))),
  entry.spark ? sparkline(entry.spark, { label: sparkLabel(entry, step) }) : h("span", { class: "spark" }));
}

function table(entries) {
  return {
    columns: ["service", "name", "status", "why", "times_normal", "since_utc", "window_seconds",
      "observed_in_window", "expected_in_window"],
    rows: entries.map((e) => [e.slug, e.name, e.status, e.headline.why, e.headline.ratio, e.headline.since,
      e.headline.window_seconds, e.headline.observed, e.headline.expected]),
  };
}

function busiestLede(busiest, step, windowSeconds) {
  const window = spanWords(windowSeconds);
  if (!busiest.length) return `No reports or posts about any service in the last ${window}.`;
  return `Reports and posts in the last ${window} against each service's usual level (sparklines: the last `
    + `${SPARK_HOURS} hours, per ${spanWords(step)}). "× normal" is shown only for a rise worth a headline.`;
}

export async function renderNow(main) {
  let entries = [];
  let busiest = [];
  let windowSeconds = 900;
  let updatedAt = null;
  let step = 300;
  const changed = new Map();
  const list = h("ol", { class: "now-list", "aria-label": "Services worth a headline, most newsworthy first" });
  const status = h("p", { class: "lede" }, "Loading the latest verdicts…");
  const busyList = h("ol", { class: "busy-list", "aria-label": "Services with the most reports, most first" });
  const busyLede = h("p", { class: "muted" });
  const latestSlot = h("section", { id: "latest-incidents", class: "panel", "aria-labelledby": "latest-incidents-h" });
  const mapSlot = mapPanel("front-map");
  main.append(
    h("h1", {}, "What's down now"),
    status,
    list,
    exportBar("downwatch-now", {
      table: () => table(entries),
      png: () => {
        const { columns, rows } = table(entries);
        return tableToPng(`Unusual activity ${updatedAt ? `at ${utcText(updatedAt)}` : "now"}`, columns, rows);
      },
    }),
    h("div", { class: "front-grid" },
      h("section", { id: "busiest", class: "panel", "aria-labelledby": "busiest-h" },
        h("h2", { id: "busiest-h" }, "Most reported right now"), busyLede, busyList,
        exportBar("downwatch-busiest", {
          table: () => table(busiest),
          png: () => {
            const { columns, rows } = table(busiest);
            return tableToPng(`Most reported ${updatedAt ? `at ${utcText(updatedAt)}` : "now"}`, columns, rows);
          },
        })),
      latestSlot),
    mapSlot);

  function draw() {
    clear(list);
    clear(status);
    if (!entries.length) {
      status.append("Nothing unusual right now: every service downwatch follows is within its usual level.");
    } else {
      append(status, [`${entries.length} service${entries.length === 1 ? "" : "s"} with unusual activity, most unusual first`,
        updatedAt ? [". Updated ", timeEl(updatedAt), "."] : "."]);
    }
    entries.forEach((entry, i) => list.append(row(entry, i + 1, step)));
    clear(busyList);
    clear(busyLede).append(busiestLede(busiest, step, windowSeconds));
    busiest.forEach((entry, i) => busyList.append(row(entry, i + 1, step, "busy-item")));
  }

  async function loadSurroundings() {
    await Promise.all([latestIncidents(latestSlot),
      showMap(mapSlot, { service: null, subject: "every service", hours: SPARK_HOURS })]);
  }

  // Say what changed since the last list: a service that changed status and is (or was) listed.
  function announceChanges(before) {
    for (const [slug, verdict] of changed) {
      const listed = entries.find((e) => e.slug === slug);
      const entry = listed || before.find((e) => e.slug === slug);
      if (!entry) continue;
      const times = listed ? timesNormal(listed.headline.ratio) : null;
      announce(`${entry.name} is now ${statusWord(verdict.status).toLowerCase()}${times ? `, ${times}` : ""}.`);
    }
    changed.clear();
  }

  async function load({ fresh = false } = {}) {
    try {
      const data = await getJSON(`/dashboard/data/now?hours=${SPARK_HOURS}`, { cache: fresh ? "no-cache" : "default" });
      const before = entries;
      entries = data.services;
      busiest = data.busiest;
      windowSeconds = data.window_seconds;
      updatedAt = setDataNow(data.at);
      step = data.step;
      draw();
      announceChanges(before);
    } catch (error) {
      clear(status).append(`Could not load the latest verdicts: ${error.message}`);
    }
  }

  let reload = null;
  const known = new Map();
  await Promise.all([load(), loadSurroundings()]);
  const stop = liveVerdicts({
    onState: showConnection,
    onVerdict: (verdict) => {
      setDataNow(verdict.updated_at);
      const listed = entries.find((e) => e.slug === verdict.service);
      const before = known.get(verdict.service) ?? (listed ? listed.status : "up");
      known.set(verdict.service, verdict.status);
      if (before === verdict.status) return;
      changed.set(verdict.service, verdict);
      clearTimeout(reload);
      reload = setTimeout(() => Promise.all([load({ fresh: true }), loadSurroundings()]), RELOAD_AFTER_CHANGE_MS);
    },
  });
  const timer = setInterval(() => Promise.all([load({ fresh: true }), loadSurroundings()]), REFRESH_MS);
  return () => {
    stop();
    clearInterval(timer);
    clearTimeout(reload);
  };
}
