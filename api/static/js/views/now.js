// "Now": services with unusual activity, most unusual first, kept current by the live stream.

import { getJSON } from "../api.js";
import { sparkline } from "../chart.js";
import { append, clear, h } from "../dom.js";
import { exportBar, tableToPng } from "../export.js";
import { count, decimal, statusWord, timesNormal } from "../format.js";
import { announce, liveVerdicts, showConnection } from "../live.js";
import { dataNow, setDataNow, timeEl, utcText } from "../time.js";

const SPARK_HOURS = 3;
const REFRESH_MS = 60000;
const RANK = { down: 3, degraded: 2, up: 1, unknown: 0 };

function isUnusual(entry) {
  return entry.status === "down" || entry.status === "degraded" || (entry.score ?? 0) >= 0.95;
}

function byUnusualness(a, b) {
  return (RANK[b.status] ?? 0) - (RANK[a.status] ?? 0) || (b.score ?? 0) - (a.score ?? 0)
    || (b.ratio ?? 0) - (a.ratio ?? 0) || a.slug.localeCompare(b.slug);
}

function stepWords(seconds) {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`;
}

function sparkLabel(entry, step) {
  const values = (entry.spark || []).map((p) => p.observed ?? 0);
  if (!values.length) return `No counts for ${entry.name} in the last ${SPARK_HOURS} hours`;
  return `${entry.name}, reports over the last ${SPARK_HOURS} hours: peak ${count(Math.max(...values))}, `
    + `latest ${count(values.at(-1))}, usual about ${decimal(entry.spark.at(-1).expected)} (reports per ${stepWords(step)})`;
}

function row(entry, rank, step) {
  const times = timesNormal(entry.ratio);
  return h("li", { class: `now-item status-${entry.status}`, "data-slug": entry.slug, "data-status": entry.status },
    h("span", { class: "rank", "aria-hidden": "true" }, String(rank)),
    h("div", { class: "now-main" },
      h("a", { class: "now-name", href: `/s/${encodeURIComponent(entry.slug)}`, "data-nav": true }, entry.name),
      h("span", { class: `badge status-${entry.status}` }, statusWord(entry.status)),
      h("p", { class: "now-facts" },
        times ? h("strong", { class: "times" }, times) : null,
        entry.since ? [" · since ", timeEl(entry.since)] : null,
        entry.observed !== null && entry.observed !== undefined
          ? ` · ${count(entry.observed)} reports in the latest minute (usual ${decimal(entry.expected)})` : null)),
    entry.spark ? sparkline(entry.spark, { label: sparkLabel(entry, step) }) : h("span", { class: "spark" }));
}

function table(entries) {
  return {
    columns: ["service", "name", "status", "times_normal", "since_utc", "observed", "expected", "score"],
    rows: entries.map((e) => [e.slug, e.name, e.status, e.ratio, e.since, e.observed, e.expected, e.score]),
  };
}

export async function renderNow(main) {
  const entries = new Map();
  let updatedAt = null;
  let step = 300;
  const list = h("ol", { class: "now-list", "aria-label": "Services with unusual activity, most unusual first" });
  const status = h("p", { class: "lede" }, "Loading the latest verdicts…");
  const sorted = () => [...entries.values()].sort(byUnusualness);
  main.append(
    h("h1", {}, "What's down now"),
    status,
    list,
    exportBar("downwatch-now", {
      table: () => table(sorted()),
      png: () => {
        const { columns, rows } = table(sorted());
        return tableToPng(`Unusual activity ${updatedAt ? `at ${utcText(updatedAt)}` : "now"}`, columns, rows);
      },
    }));

  function draw() {
    const ranked = sorted();
    clear(list);
    clear(status);
    if (!ranked.length) {
      status.append("Nothing unusual right now: every service downwatch follows is within its usual level.");
    } else {
      append(status, [`${ranked.length} service${ranked.length === 1 ? "" : "s"} with unusual activity, most unusual first`,
        updatedAt ? [". Updated ", timeEl(updatedAt), "."] : "."]);
    }
    ranked.forEach((entry, i) => list.append(row(entry, i + 1, step)));
  }

  async function load() {
    try {
      const data = await getJSON(`/dashboard/data/now?hours=${SPARK_HOURS}`);
      entries.clear();
      for (const entry of data.services) entries.set(entry.slug, entry);
      updatedAt = setDataNow(data.at);
      step = data.step;
      draw();
    } catch (error) {
      clear(status).append(`Could not load the latest verdicts: ${error.message}`);
    }
  }

  let reload = null;
  function reloadSoon() {
    clearTimeout(reload);
    reload = setTimeout(load, 1500);
  }

  await load();
  const stop = liveVerdicts({
    onState: showConnection,
    onVerdict: (verdict) => {
      const known = entries.get(verdict.service);
      const before = known ? known.status : "up";
      const entry = { ...(known || {}), ...verdict, slug: verdict.service, name: verdict.name || verdict.service };
      if (!known && !isUnusual(entry)) return;
      if (isUnusual(entry)) entries.set(entry.slug, entry);
      else entries.delete(entry.slug);
      if (before === entry.status) return;
      updatedAt = setDataNow(verdict.updated_at) || dataNow();
      draw();
      announce(`${entry.name} is now ${statusWord(entry.status).toLowerCase()}`
        + (timesNormal(entry.ratio) ? `, ${timesNormal(entry.ratio)}` : "") + ".");
      reloadSoon();
    },
  });
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    stop();
    clearInterval(timer);
    clearTimeout(reload);
  };
}
