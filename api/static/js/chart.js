// SVG charts drawn from data. Colours and fonts are attributes (not CSS) so a chart exported as PNG
// looks the same as on screen.

import { s } from "./dom.js";
import { parseTime, utcText } from "./time.js";

const tickClock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const tickDay = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });

// Midnights are named by their day, other ticks by the clock (local time, short enough not to overlap).
function tickLabel(date) {
  return date.getHours() === 0 && date.getMinutes() === 0 ? tickDay.format(date) : tickClock.format(date);
}

export const COLOURS = {
  observed: "#0b57d0", expected: "#5f6368", incident: "#fbe3e1", grid: "#e3e6ea", axis: "#3c4043",
  down: "#b3261e", degraded: "#8a5a00", up: "#1e6b3a", unknown: "#5f6368",
};
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

function niceStep(span, ticks) {
  const raw = span / Math.max(1, ticks);
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const unit = [1, 2, 2.5, 5, 10].find((m) => m * power >= raw) || 10;
  return unit * power;
}

const HOUR = 3600e3;
const TIME_STEPS = [5 * 60e3, 15 * 60e3, 30 * 60e3, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR,
  48 * HOUR, 7 * 24 * HOUR];

function timeTicks(from, to, count) {
  const span = to - from;
  const step = TIME_STEPS.find((candidate) => span / candidate <= count) || TIME_STEPS.at(-1);
  const offset = new Date(from).getTimezoneOffset() * 60e3;
  const ticks = [];
  let t = Math.ceil((from - offset) / step) * step + offset;
  for (; t <= to; t += step) ticks.push(t);
  return ticks;
}

function linePath(points, x, y, key) {
  let d = "";
  let pen = false;
  for (const point of points) {
    const value = point[key];
    if (value === null || value === undefined || !Number.isFinite(value)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(point.time).toFixed(1)},${y(value).toFixed(1)}`;
    pen = true;
  }
  return d;
}

// points: [{t, observed, expected}]; incidents: [{start, end}]; changes: [{at, from, to}]
export function timeChart({ points, from, to, incidents = [], changes = [], title, description,
  yLabel, width = 760, height = 300 }) {
  const margin = { left: 52, right: 14, top: 18, bottom: 30 };
  const start = parseTime(from).getTime();
  const end = parseTime(to).getTime();
  const data = points.map((p) => ({ ...p, time: parseTime(p.t).getTime() }));
  const top = Math.max(1, ...data.map((p) => Math.max(p.observed || 0, p.expected || 0)));
  const yStep = niceStep(top, 4);
  const yMax = Math.ceil((top * 1.05) / yStep) * yStep;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const x = (t) => margin.left + ((t - start) / (end - start || 1)) * plotW;
  const y = (v) => margin.top + plotH - (v / yMax) * plotH;
  const id = `chart-${Math.random().toString(36).slice(2, 9)}`;

  const svg = s("svg", {
    xmlns: "http://www.w3.org/2000/svg", viewBox: `0 0 ${width} ${height}`, width, height,
    role: "img", "aria-labelledby": `${id}-title ${id}-desc`, class: "chart", "font-family": FONT,
    "font-size": 12,
  }, s("title", { id: `${id}-title`, text: title }), s("desc", { id: `${id}-desc`, text: description || "" }));
  svg.append(s("rect", { x: 0, y: 0, width, height, fill: "#ffffff" }));

  for (const incident of incidents) {
    const a = Math.max(start, parseTime(incident.start).getTime());
    const b = Math.min(end, incident.end ? parseTime(incident.end).getTime() : end);
    if (b <= a) continue;
    svg.append(s("rect", {
      x: x(a), y: margin.top, width: Math.max(1, x(b) - x(a)), height: plotH, fill: COLOURS.incident,
      "data-mark": "incident",
    }, s("title", { text: `Incident: ${utcText(new Date(a))} to ${incident.end ? utcText(new Date(b)) : "ongoing"}` })));
  }

  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    svg.append(s("line", { x1: margin.left, x2: width - margin.right, y1: y(v), y2: y(v), stroke: COLOURS.grid }));
    svg.append(s("text", { x: margin.left - 6, y: y(v) + 4, "text-anchor": "end", fill: COLOURS.axis,
      text: Number(v.toPrecision(6)).toLocaleString() }));
  }
  for (const tick of timeTicks(start, end, Math.max(3, Math.floor(plotW / 90)))) {
    svg.append(s("line", { x1: x(tick), x2: x(tick), y1: margin.top + plotH, y2: margin.top + plotH + 4,
      stroke: COLOURS.axis }));
    svg.append(s("text", { x: x(tick), y: height - 10, "text-anchor": "middle", fill: COLOURS.axis,
      text: tickLabel(new Date(tick)) }));
  }
  svg.append(s("line", { x1: margin.left, x2: width - margin.right, y1: margin.top + plotH,
    y2: margin.top + plotH, stroke: COLOURS.axis }));
  if (yLabel) {
    svg.append(s("text", { x: margin.left, y: 12, fill: COLOURS.axis, text: yLabel }));
  }

  svg.append(s("path", { d: linePath(data, x, y, "expected"), fill: "none", stroke: COLOURS.expected,
    "stroke-width": 1.6, "stroke-dasharray": "5 4", "data-series": "expected",
    "data-points": data.filter((p) => p.expected !== null).length }));
  svg.append(s("path", { d: linePath(data, x, y, "observed"), fill: "none", stroke: COLOURS.observed,
    "stroke-width": 2, "stroke-linejoin": "round", "data-series": "observed",
    "data-points": data.filter((p) => p.observed !== null).length }));

  for (const change of changes) {
    const t = parseTime(change.at).getTime();
    if (t < start || t > end) continue;
    const colour = COLOURS[change.to] || COLOURS.unknown;
    svg.append(s("g", { "data-mark": "change" },
      s("title", { text: `${utcText(new Date(t))}: ${change.from} → ${change.to}` }),
      s("line", { x1: x(t), x2: x(t), y1: margin.top, y2: margin.top + plotH, stroke: colour,
        "stroke-width": 1.5, "stroke-dasharray": "2 2" }),
      s("path", { d: `M${x(t) - 5},${margin.top - 8}L${x(t) + 5},${margin.top - 8}L${x(t)},${margin.top}Z`,
        fill: colour })));
  }
  return svg;
}

export function sparkline(points, { width = 120, height = 32, label }) {
  const data = points.map((p) => ({ ...p, time: parseTime(p.t).getTime() }));
  const svg = s("svg", { xmlns: "http://www.w3.org/2000/svg", viewBox: `0 0 ${width} ${height}`, width,
    height, role: "img", "aria-label": label, class: "spark" });
  if (data.length < 2) return svg;
  const first = data[0].time;
  const last = data.at(-1).time;
  const top = Math.max(1, ...data.map((p) => Math.max(p.observed || 0, p.expected || 0)));
  const x = (t) => 1 + ((t - first) / (last - first || 1)) * (width - 2);
  const y = (v) => height - 2 - (v / top) * (height - 4);
  svg.append(s("path", { d: linePath(data, x, y, "expected"), fill: "none", stroke: COLOURS.expected,
    "stroke-width": 1, "stroke-dasharray": "3 2" }));
  svg.append(s("path", { d: linePath(data, x, y, "observed"), fill: "none", stroke: COLOURS.observed,
    "stroke-width": 1.6, "data-series": "observed" }));
  return svg;
}
