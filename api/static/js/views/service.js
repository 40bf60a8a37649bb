// A service page: the crowd's verdict beside the official one, reports against the usual level,
// what fails and where, the evidence, the incident timeline with a quotable summary, and the widget.

import { ApiError, getJSON, query } from "../api.js";
import { timeChart } from "../chart.js";
import { clear, h } from "../dom.js";
import { exportBar, svgToPng, tableToPng } from "../export.js";
import { count, countOf, decimal, problemWord, share, spanWords, statusWord, timesNormal, usually } from "../format.js";
import { announce, liveVerdicts, showConnection } from "../live.js";
import { mapPanel, showMap } from "../map.js";
import { dataNow, durationText, parseTime, setDataNow, timeEl, toLocalInput, utcText } from "../time.js";

const HOUR = 3600e3;
const RANGES = {
  "6h": { label: "6 hours", span: 6 * HOUR },
  "24h": { label: "24 hours", span: 24 * HOUR },
  "7d": { label: "7 days", span: 7 * 24 * HOUR },
};
const STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const MAX_POINTS = 400;
const BUCKET_SECONDS = Number(document.documentElement.dataset.bucketSeconds) || 60;

function chooseStep(spanMs, bucket) {
  const seconds = spanMs / 1000;
  const fits = STEPS.find((step) => step % bucket === 0 && seconds / step <= MAX_POINTS);
  return fits || Math.ceil(seconds / MAX_POINTS / bucket) * bucket;
}

function section(id, title, ...children) {
  return h("section", { id, class: "panel", "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), ...children);
}

function dataTable(caption, columns, rows) {
  return h("table", {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((cell) => h("td", {}, cell))))));
}

// The range asked for in the URL: a preset span ending with the last scored bucket, or from..to.
// Ranges are aligned to the chart's step so that every step is a whole one.
function requestedRange(params, anchor, bucket) {
  const range = params.get("range") === "custom" || params.get("from") ? "custom" : (params.get("range") || "24h");
  const align = (date, step, round) => new Date(round(date.getTime() / (step * 1000)) * step * 1000);
  if (range === "custom") {
    const from = parseTime(params.get("from"));
    const asked = parseTime(params.get("to"));
    const to = asked && asked < anchor ? asked : anchor;
    if (from && from < to) {
      const step = chooseStep(to - from, bucket);
      return { range, step, from: align(from, step, Math.floor), to: align(to, step, Math.ceil) };
    }
  }
  const preset = RANGES[range] ? range : "24h";
  const step = chooseStep(RANGES[preset].span, bucket);
  const to = align(anchor, step, Math.ceil);
  return { range: preset, step, from: new Date(to.getTime() - RANGES[preset].span), to };
}

// The header and the crowd card say the same thing from the same two objects: the verdict, and what
// the headline rule (api/headline.py) lets the page print about it. Until the rule's answer for this
// verdict has arrived, neither prints a ratio or a "since".
const ALARMS = new Set(["down", "degraded"]);

function crowdFigure(headline) {
  if (!headline) return null;
  const times = timesNormal(headline.ratio);
  if (times) return times;
  if (headline.observed === null || headline.observed === undefined) return null;
  return `${countOf(headline.observed, "report")} in the last ${spanWords(headline.window_seconds)}`
    + ` (${usually(headline.expected)})`;
}

function header(service, verdict, headline) {
  const times = headline ? timesNormal(headline.ratio) : null;
  const since = headline && ALARMS.has(verdict.status) ? headline.since : null;
  return h("header", { class: `service-head status-${verdict.status}` },
    h("p", { class: "crumbs" }, h("a", { href: "/", "data-nav": true }, "Now"), " › ", service.category, " · ", service.country),
    h("h1", {}, service.name, " ", h("span", { class: `badge big status-${verdict.status}`, "data-role": "status" }, statusWord(verdict.status))),
    h("p", { class: "headline" },
      times ? h("strong", { class: "times" }, times) : null,
      since ? [times ? " · " : "", `${statusWord(verdict.status)} since `, timeEl(since, { full: true })] : null,
      verdict.confidence ? ` · ${share(verdict.confidence)} confident` : null),
    h("p", { class: "explanation" }, verdict.reason || verdict.explanation || ""));
}

function gapPanel(name, verdict, headline, gap) {
  const official = verdict.official || {};
  const incident = official.incident;
  return section("official", "The crowd and the official page",
    gap.sentence ? h("p", { class: gap.disagrees ? "gap disagree" : "gap", role: gap.disagrees ? "note" : null }, gap.sentence) : null,
    h("div", { class: "versus" },
      h("div", { class: `side status-${verdict.status}`, "data-role": "crowd" },
        h("h3", {}, "The crowd (downwatch)"),
        h("p", { class: "big-word", "data-role": "crowd-status" }, statusWord(verdict.status)),
        h("p", { "data-role": "crowd-figure" }, crowdFigure(headline) || (ALARMS.has(verdict.status) ? "" : "No unusual activity"))),
      h("div", { class: `side official-${gap.official_indicator || "none-known"}` },
        h("h3", {}, `${name}'s status page`),
        h("p", { class: "big-word" }, gap.official_description || (gap.official_indicator ? gap.official_indicator : "No reading")),
        incident ? h("p", {}, typeof incident === "string" ? incident : (incident.name || "An incident is posted")) : null,
        h("p", { class: "muted" }, verdict.updated_at ? ["As read at ", timeEl(verdict.updated_at)] : "Not read yet"))));
}

function incidentPanel(incident, bucketSeconds) {
  if (!incident) {
    return section("story", "Incident timeline", h("p", {}, "No incident in this range."));
  }
  const peakTimes = incident.expected_at_peak ? incident.peak_count / incident.expected_at_peak : null;
  const quote = h("blockquote", { class: "quote", "data-role": "summary" }, incident.summary);
  const copy = h("button", { type: "button", class: "small-button", onclick: async () => {
    try {
      await navigator.clipboard.writeText(incident.summary);
      copy.textContent = "Copied";
    } catch {
      copy.textContent = "Select the text to copy";
    }
  } }, "Copy summary");
  const end = incident.ended_at ? parseTime(incident.ended_at) : null;
  const steps = [
    ["Onset", "Reports began rising", incident.started_at],
    ["Detection", "downwatch raised the alarm", incident.detected_at],
    ["Peak", incident.peak_count !== null
      ? `${count(incident.peak_count)} reports in ${spanWords(bucketSeconds)}${peakTimes ? `, ${timesNormal(peakTimes).replace(" normal", " the usual level")}` : ""}`
      : "Peak", incident.peak_at],
    ["Recovery", end ? `Back to normal after ${durationText(end - parseTime(incident.started_at)) || "an unknown time"}` : "Still ongoing", incident.ended_at],
  ];
  return section("story", "Incident timeline",
    h("p", { class: "muted" }, "A summary you can quote (times in UTC):"),
    quote, copy,
    h("ol", { class: "timeline" }, steps.map(([title, words, at]) =>
      h("li", { "data-step": title.toLowerCase() }, h("strong", {}, title), " ", at ? timeEl(at, { full: true }) : "—", h("br"), words))));
}

function breakdownTable(caption, label, entries, total) {
  return h("table", { class: "bars" },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, label), h("th", { scope: "col" }, "Reports"), h("th", { scope: "col" }, "Share"))),
    h("tbody", {}, entries.map(([name, n]) => h("tr", {},
      h("th", { scope: "row" }, name),
      h("td", { class: "num" }, count(n)),
      h("td", { class: "bar-cell" }, h("span", { class: "bar", style: `width:${total ? Math.round((n / total) * 100) : 0}%` }),
        h("span", { class: "bar-label" }, total ? share(n / total) : "—"))))));
}

function breakdownPanels(name, data) {
  const problems = Object.entries(data.problems).map(([p, n]) => [problemWord(p), n, p]);
  const problemTotal = problems.reduce((sum, [, n]) => sum + n, 0);
  const places = data.locations.map((l) => [l.location, l.n]);
  const placeTotal = places.reduce((sum, [, n]) => sum + n, 0);
  const range = `${utcText(parseTime(data.from))} to ${utcText(parseTime(data.to))}`;
  const problemData = () => ({ columns: ["problem", "reports"], rows: problems.map(([, n, p]) => [p, n]) });
  const placeData = () => ({ columns: ["location", "reports"], rows: places });
  return [
    section("problems", "What fails",
      problems.length ? breakdownTable(`Reports about ${name} by problem`, "Problem", problems, problemTotal)
        : h("p", {}, "No reports in this range."),
      exportBar(`${data.service}-problems`, { table: problemData,
        png: () => tableToPng(`${name}: reports by problem, ${range}`, ...Object.values(problemData())) })),
    section("places", "Where",
      places.length ? breakdownTable(`Reports about ${name} by place`, "Place", places, placeTotal)
        : h("p", {}, "No reports with a place in this range."),
      exportBar(`${data.service}-places`, { table: placeData,
        png: () => tableToPng(`${name}: reports by place, ${range}`, ...Object.values(placeData())) })),
  ];
}

const KIND_WORDS = { report: "User reports", post: "Public posts", probe: "Failed probes", status: "Status-page readings" };

const FIRST_POSTS = 6;

function post(e) {
  return h("li", {},
    h("p", { class: "post-text" }, e.text || "(no text kept)"),
    h("p", { class: "muted" }, timeEl(e.observed_at), ` · ${e.source} · ${problemWord(e.problem)}`,
      e.location ? ` · ${e.location}` : "",
      e.url ? [" · ", h("a", { href: e.url, rel: "noopener nofollow ugc", target: "_blank" }, "public source")] : ""));
}

function evidencePanel(name, data) {
  const rows = () => ({
    columns: ["observed_at", "source", "problem", "location", "confidence", "url", "text"],
    rows: data.evidence.map((e) => [e.observed_at, e.source, e.problem, e.location, e.confidence, e.url, e.text]),
  });
  return section("evidence", "The evidence",
    h("ul", { class: "kinds" }, Object.entries(data.kinds).map(([kind, n]) =>
      h("li", {}, h("strong", {}, count(n)), " ", (KIND_WORDS[kind] || kind).toLowerCase()))),
    data.evidence.length
      ? [h("ol", { class: "posts" }, data.evidence.slice(0, FIRST_POSTS).map(post)),
        data.evidence.length > FIRST_POSTS
          ? h("details", {}, h("summary", {}, `${data.evidence.length - FIRST_POSTS} more posts`),
            h("ol", { class: "posts", start: FIRST_POSTS + 1 }, data.evidence.slice(FIRST_POSTS).map(post)))
          : null]
      : h("p", {}, "No public posts counted in this range."),
    exportBar(`${data.service}-evidence`, { table: rows,
      png: () => tableToPng(`${name}: recent public posts`, ...Object.values(rows())) }));
}

function embedPanel(service) {
  const src = `${location.origin}/embed/${encodeURIComponent(service.slug)}`;
  const snippet = `<iframe src="${src}" title="${service.name.replaceAll('"', "&quot;")} status on downwatch" width="340" height="150" style="border:0" loading="lazy"></iframe>`;
  const field = h("textarea", { id: "embed-code", readonly: true, rows: 3, "aria-describedby": "embed-help" }, snippet);
  return section("embed", "Embed a live status widget",
    h("p", { id: "embed-help" }, "Paste this into your article or live blog; it updates by itself."),
    h("label", { for: "embed-code", class: "visually-hidden" }, "Embed code"),
    field,
    h("button", { type: "button", class: "small-button", onclick: () => { field.select(); navigator.clipboard?.writeText(snippet).catch(() => {}); } }, "Copy embed code"),
    h("div", { class: "embed-preview" },
      h("iframe", { src: `/embed/${encodeURIComponent(service.slug)}`, title: `${service.name} status widget (preview)`, width: 340, height: 150, loading: "lazy" })));
}

function rangeControls(current, ctx) {
  const group = h("div", { class: "ranges", role: "group", "aria-label": "Time range" });
  for (const [key, { label }] of Object.entries(RANGES)) {
    group.append(h("a", { href: `/s/${encodeURIComponent(ctx.slug)}?range=${key}`, "data-nav": true, class: "range",
      "aria-current": current.range === key ? "true" : null }, label));
  }
  const fromInput = h("input", { type: "datetime-local", id: "range-from", value: toLocalInput(current.from) });
  const toInput = h("input", { type: "datetime-local", id: "range-to", value: toLocalInput(current.to) });
  const form = h("form", { class: "custom-range", onsubmit: (event) => {
    event.preventDefault();
    const from = new Date(fromInput.value);
    const to = new Date(toInput.value);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
      announce("Choose a start earlier than the end.");
      return;
    }
    ctx.navigate(`/s/${encodeURIComponent(ctx.slug)}${query({ range: "custom", from: from.toISOString(), to: to.toISOString() })}`);
  } },
  h("label", { for: "range-from" }, "From"), fromInput, h("label", { for: "range-to" }, "to"), toInput,
  h("button", { type: "submit", class: "small-button", "aria-current": current.range === "custom" ? "true" : null }, "Show"));
  return h("div", { class: "range-bar" }, group, form);
}

function chartFigure(name, data, timeline, incidents, width) {
  const points = timeline.points;
  const peak = points.reduce((best, p) => (p.observed !== null && (!best || p.observed > best.observed) ? p : best), null);
  const step = timeline.step;
  const description = peak
    ? `Between ${utcText(parseTime(timeline.from))} and ${utcText(parseTime(timeline.to))}, reports peaked at ${count(peak.observed)} in ${spanWords(step)} at ${utcText(parseTime(peak.t))}, against a usual level of about ${decimal(peak.expected)}.`
    : `No scored counts between ${utcText(parseTime(timeline.from))} and ${utcText(parseTime(timeline.to))}.`;
  const chart = timeChart({
    points, from: timeline.from, to: timeline.to,
    incidents: incidents.map((i) => ({ start: i.started_at, end: i.ended_at })),
    changes: data.changes, title: `${name}: reports against the usual level`, description,
    yLabel: `reports per ${spanWords(step).replace(/^an? /, "")}`,
    width, height: width < 560 ? 240 : 300,
  });
  const table = () => ({ columns: ["t", "observed", "expected", "score", "status"],
    rows: points.map((p) => [p.t, p.observed, p.expected, p.score, p.status]) });
  return h("figure", { class: "chart-figure" },
    h("div", { class: "chart-box" }, chart),
    h("ul", { class: "legend" },
      h("li", {}, h("span", { class: "key observed" }), "Reports and posts"),
      h("li", {}, h("span", { class: "key expected" }), "Usual level (expected)"),
      h("li", {}, h("span", { class: "key incident" }), "Incident"),
      h("li", {}, h("span", { class: "key change" }), "Verdict change")),
    h("figcaption", {}, description),
    exportBar(`${data.service}-timeline`, { table, png: () => svgToPng(chart) }),
    h("details", {}, h("summary", {}, "The chart's numbers as a table"),
      dataTable(`${name}: observed and expected per ${spanWords(step)}`, ["Time (UTC)", "Observed", "Expected", "Score", "Status"],
        points.map((p) => [utcText(parseTime(p.t)), count(p.observed), decimal(p.expected), p.score === null ? "—" : p.score.toFixed(3), p.status]))));
}

function chartWidth(container) {
  const style = getComputedStyle(container);
  const inner = container.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.round(Math.max(300, Math.min(1040, inner || 760)));
}

export async function renderService(main, ctx) {
  const slug = ctx.slug;
  const status = h("p", { class: "loading" }, "Loading…");
  main.append(status);
  let verdict;
  let service;
  try {
    [verdict, service] = await Promise.all([
      getJSON(`/v1/services/${encodeURIComponent(slug)}`),
      getJSON(`/v1/services${query({ q: slug })}`).then((b) => {
        setDataNow(b.updated_at);
        return b.services.find((s) => s.slug === slug);
      }),
    ]);
    setDataNow(verdict.updated_at);
  } catch (error) {
    clear(main).append(h("h1", {}, error instanceof ApiError && error.status === 404 ? "No such service" : "Could not load this service"),
      h("p", {}, error.message), h("p", {}, h("a", { href: "/", "data-nav": true }, "See what is down now")));
    return () => {};
  }
  service = service || { slug, name: verdict.name || slug, category: "", country: "" };
  document.title = `${service.name}: ${statusWord(verdict.status)} — downwatch`;

  const head = h("div", {});
  const gapSlot = h("div", {});
  const storySlot = h("div", {});
  const chartSlot = section("chart", "Reports against the usual level", h("p", { class: "loading" }, "Loading the chart…"));
  const breakdownSlot = h("div", { class: "two-up" });
  const evidenceSlot = h("div", {});
  const mapSlot = mapPanel("map");
  clear(main).append(head, gapSlot, storySlot, chartSlot, breakdownSlot, mapSlot, evidenceSlot, embedPanel(service));

  let data = null;
  let headline = null;
  const newer = (a, b) => !b || (parseTime(a.updated_at) || 0) >= (parseTime(b.updated_at) || 0);
  async function loadRange({ fresh = false } = {}) {
    const cache = fresh ? "no-cache" : "default";
    const scored = parseTime(verdict.bucket);
    const anchor = scored ? new Date(scored.getTime() + BUCKET_SECONDS * 1000) : parseTime(verdict.updated_at) || dataNow();
    const range = requestedRange(ctx.url.searchParams, anchor, BUCKET_SECONDS);
    const span = { from: range.from.toISOString(), to: range.to.toISOString() };
    let timeline;
    let incidents;
    [data, timeline, incidents] = await Promise.all([
      getJSON(`/dashboard/data/services/${encodeURIComponent(slug)}${query(span)}`, { cache }),
      getJSON(`/v1/services/${encodeURIComponent(slug)}/timeline${query({ ...span, step: range.step })}`, { cache }),
      getJSON(`/v1/incidents${query({ service: slug, ...span, limit: 100 })}`, { cache }),
    ]);
    if (newer(data.verdict, verdict)) {
      verdict = data.verdict;
      headline = data.headline;
    }
    drawSummary();
    clear(storySlot).append(incidentPanel(data.incident, data.bucket_seconds));
    const chartHeading = chartSlot.querySelector("h2");
    clear(chartSlot).append(chartHeading, rangeControls(range, ctx),
      chartFigure(service.name, data, timeline, incidents.incidents, chartWidth(chartSlot)));
    clear(breakdownSlot).append(...breakdownPanels(service.name, data));
    showMap(mapSlot, { service: slug, subject: service.name, ...span });
    clear(evidenceSlot).append(evidencePanel(service.name, data));
  }

  // One verdict for the header and the crowd card, redrawn together. The gap sentence was written for
  // the data's verdict; after a live change of status it waits for the next load.
  function drawSummary() {
    clear(head).append(header(service, verdict, headline));
    if (!data) return;
    const gap = data.verdict.status === verdict.status ? data.official : { ...data.official, sentence: null, disagrees: false };
    clear(gapSlot).append(gapPanel(service.name, verdict, headline, gap));
  }

  drawSummary();
  try {
    await loadRange();
  } catch (error) {
    clear(chartSlot).append(h("h2", {}, "Reports against the usual level"), h("p", { class: "error" }, `Could not load: ${error.message}`));
  }

  let pending = null;
  const stop = liveVerdicts({
    services: [slug], scores: true, onState: showConnection,
    onVerdict: (next) => {
      const changed = next.status !== verdict.status;
      const newBucket = next.bucket !== verdict.bucket;
      if (changed || newBucket) headline = null;
      verdict = next;
      setDataNow(verdict.updated_at);
      drawSummary();
      if (changed) announce(`${service.name} is now ${statusWord(verdict.status).toLowerCase()}.`);
      if (changed || newBucket) {
        clearTimeout(pending);
        pending = setTimeout(() => loadRange({ fresh: true }).catch(() => {}), changed ? 500 : 10000);
      }
    },
  });
  return () => {
    stop();
    clearTimeout(pending);
  };
}

