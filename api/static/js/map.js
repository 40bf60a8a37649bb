// Where reports come from: reports per place as proportional circles on the shipped outline
// (map/outline.json: Natural Earth land, two equirectangular frames, the UK and Ireland and the world).
// Every number drawn comes from GET /dashboard/data/locations; colours and fonts are attributes so the
// PNG and SVG downloads look like the screen.

import { getJSON, query } from "./api.js";
import { clear, h, s } from "./dom.js";
import { download, exportBar, svgToPng } from "./export.js";
import { count } from "./format.js";
import { parseTime, utcText } from "./time.js";

const OUTLINE_URL = new URL("../map/outline.json", import.meta.url);
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const MAP_COLOURS = { water: "#eef3f8", land: "#ffffff", coast: "#9aa4b1", circle: "#b3261e", halo: "#ffffff",
  ink: "#1a1c1e", muted: "#4b5058", inset: "#5f6368" };
const FRAME_TITLES = { uk: "The UK and Ireland", world: "The world" };
const WIDE = 640; // at least this many pixels: the two frames side by side, else one above the other
const GAP = 12;
const TITLE_SPACE = 22;
const MAX_RADIUS_SHARE = 0.07; // the largest circle's radius, as a share of the narrower frame's width
const MIN_RADIUS = 3;
const LABELS = { uk: 5, world: 4 };
const LABEL_SIZE = 12;

let outline = null;

export function loadOutline() {
  outline = outline || getJSON(OUTLINE_URL.href);
  return outline;
}

function projection(frame, scale) {
  const cos = Math.cos((frame.parallel * Math.PI) / 180);
  const k = frame.width / ((frame.east - frame.west) * cos);
  return {
    inside: (p) => p.lon >= frame.west && p.lon <= frame.east && p.lat >= frame.south && p.lat <= frame.north,
    x: (lon) => (lon - frame.west) * cos * k * scale,
    y: (lat) => (frame.north - lat) * k * scale,
  };
}

// Where each frame goes in one SVG `width` pixels wide.
function layout(maps, width) {
  const { uk, world } = maps;
  if (width >= WIDE) {
    const ukWidth = Math.round(width * 0.34);
    const worldWidth = width - ukWidth - GAP;
    const ukScale = ukWidth / uk.width;
    const worldScale = worldWidth / world.width;
    return {
      height: Math.round(TITLE_SPACE + Math.max(uk.height * ukScale, world.height * worldScale)),
      frames: [{ name: "uk", left: 0, top: TITLE_SPACE, scale: ukScale },
        { name: "world", left: ukWidth + GAP, top: TITLE_SPACE, scale: worldScale }],
    };
  }
  const ukScale = width / uk.width;
  const worldScale = width / world.width;
  const ukHeight = uk.height * ukScale;
  return {
    height: Math.round(2 * TITLE_SPACE + ukHeight + GAP + world.height * worldScale),
    frames: [{ name: "uk", left: 0, top: TITLE_SPACE, scale: ukScale },
      { name: "world", left: 0, top: 2 * TITLE_SPACE + ukHeight + GAP, scale: worldScale }],
  };
}

const CHAR_WIDTH = 0.62; // a label's width per character, as a share of its font size (bold system font)

// A label beside its circle: to the right, above, below or to the left, whichever first fits in the frame
// without touching a circle or a label already placed; none when no side fits (the table still lists the place).
function label(x, y, r, text, frame, placed) {
  const w = text.length * LABEL_SIZE * CHAR_WIDTH;
  const tall = LABEL_SIZE + 2;
  const sides = [
    { x: x + r + 4, y: y + 4, anchor: "start", box: [x + r + 2, y - tall / 2, w + 4, tall] },
    { x, y: y - r - 5, anchor: "middle", box: [x - w / 2 - 2, y - r - 5 - LABEL_SIZE, w + 4, tall] },
    { x, y: y + r + LABEL_SIZE + 2, anchor: "middle", box: [x - w / 2 - 2, y + r + 2, w + 4, tall] },
    { x: x - r - 4, y: y + 4, anchor: "end", box: [x - r - w - 6, y - tall / 2, w + 4, tall] },
  ];
  const fits = ([left, top, width, height]) => left >= 0 && top >= 0 && left + width <= frame.width
    && top + height <= frame.height && placed.every(([l, t, pw, ph]) => left + width <= l || l + pw <= left
      || top + height <= t || t + ph <= top);
  const side = sides.find((candidate) => fits(candidate.box));
  if (!side) return null;
  placed.push(side.box);
  return s("text", { x: side.x.toFixed(1), y: side.y.toFixed(1), "text-anchor": side.anchor, "font-size": LABEL_SIZE,
    "font-weight": 600, fill: MAP_COLOURS.ink, stroke: MAP_COLOURS.halo, "stroke-width": 3, "paint-order": "stroke",
    "stroke-linejoin": "round", "data-label": true, text });
}

function frameGroup(name, frame, place, places, radius, maps) {
  const { left, top, scale } = place;
  const width = frame.width * scale;
  const height = frame.height * scale;
  const project = projection(frame, scale);
  const clipId = `map-clip-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const group = s("g", { transform: `translate(${left},${top})`, "data-frame": name },
    s("text", { x: 0, y: -7, "font-size": 13, "font-weight": 700, fill: MAP_COLOURS.muted, text: FRAME_TITLES[name] }),
    s("clipPath", { id: clipId }, s("rect", { x: 0, y: 0, width, height })),
    s("rect", { x: 0, y: 0, width, height, fill: MAP_COLOURS.water, stroke: MAP_COLOURS.coast, "stroke-width": 0.5 }));
  const clipped = s("g", { "clip-path": `url(#${clipId})` },
    s("path", { d: frame.land, transform: `scale(${scale})`, fill: MAP_COLOURS.land, stroke: MAP_COLOURS.coast,
      "stroke-width": 0.8 / scale, "stroke-linejoin": "round" }));
  group.append(clipped);
  if (name === "world") {
    const inset = projection(maps.world, scale);
    const uk = maps.uk;
    clipped.append(s("rect", { x: inset.x(uk.west), y: inset.y(uk.north), width: inset.x(uk.east) - inset.x(uk.west),
      height: inset.y(uk.south) - inset.y(uk.north), fill: "none", stroke: MAP_COLOURS.inset, "stroke-width": 1,
      "stroke-dasharray": "3 2" }, s("title", { text: "The UK and Ireland: see the other map" })));
  }
  const mine = places.filter((p) => (name === "uk") === projection(maps.uk, 1).inside(p));
  for (const p of mine) {
    const x = project.x(p.lon);
    const y = project.y(p.lat);
    const r = radius(p.n);
    clipped.append(s("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: r.toFixed(1), fill: MAP_COLOURS.circle,
      "fill-opacity": 0.55, stroke: MAP_COLOURS.circle, "stroke-width": 1, "data-place": p.name, "data-n": p.n },
    s("title", { text: `${p.name}: ${count(p.n)} report${p.n === 1 ? "" : "s"}` })));
  }
  // Labels keep clear of every circle and of each other.
  const placed = mine.map((p) => {
    const r = radius(p.n);
    return [project.x(p.lon) - r, project.y(p.lat) - r, 2 * r, 2 * r];
  });
  for (const p of mine.slice(0, LABELS[name])) {
    const text = label(project.x(p.lon), project.y(p.lat), radius(p.n), `${p.name} ${count(p.n)}`, { width, height }, placed);
    if (text) clipped.append(text);
  }
  return group;
}

function rangeWords(data) {
  return `${utcText(parseTime(data.from))} to ${utcText(parseTime(data.to))}`;
}

function describe(subject, data) {
  const top = data.places.slice(0, 3).map((p) => `${p.name} (${count(p.n)})`);
  if (!data.total) return `No reports about ${subject} named a place from ${rangeWords(data)}.`;
  return `${count(data.total)} report${data.total === 1 ? "" : "s"} about ${subject} named a place from ${rangeWords(data)}`
    + (top.length ? `; the most came from ${top.join(", ")}.` : ".");
}

// One SVG holding both frames; circles' areas are proportional to the reports from each place.
export function mapSvg(maps, data, { width, title, description }) {
  const places = [...data.places].sort((a, b) => b.n - a.n || a.name.localeCompare(b.name));
  const plan = layout(maps, width);
  const largest = Math.max(1, ...places.map((p) => p.n));
  const narrowest = Math.min(...plan.frames.map((f) => maps[f.name].width * f.scale));
  const radius = (n) => Math.max(MIN_RADIUS, narrowest * MAX_RADIUS_SHARE * Math.sqrt(n / largest));
  const id = `map-${Math.random().toString(36).slice(2, 9)}`;
  const svg = s("svg", { xmlns: "http://www.w3.org/2000/svg", viewBox: `0 0 ${width} ${plan.height}`, width,
    height: plan.height, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, class: "map", "font-family": FONT },
  s("title", { id: `${id}-title`, text: title }), s("desc", { id: `${id}-desc`, text: description }),
  s("rect", { x: 0, y: 0, width, height: plan.height, fill: "#ffffff" }));
  for (const place of plan.frames) {
    svg.append(frameGroup(place.name, maps[place.name], place, places, radius, maps));
  }
  return svg;
}

function placeTable(data) {
  return {
    columns: ["place", "country", "kind", "lat", "lon", "reports"],
    rows: [...data.places.map((p) => [p.name, p.country, p.kind, p.lat, p.lon, p.n]),
      ...data.unplaced.map((p) => [p.name, "", "", "", "", p.n])],
  };
}

function numbersTable(subject, data) {
  const rows = [...data.places.map((p) => [p.name, p.country, count(p.n)]), ...data.unplaced.map((p) => [p.name, "not on the map", count(p.n)])];
  return h("details", {}, h("summary", {}, "The map's numbers as a table"),
    h("table", { "data-role": "map-table" },
      h("caption", { class: "visually-hidden" }, `Reports about ${subject} by place, ${rangeWords(data)}`),
      h("thead", {}, h("tr", {}, ["Place", "Country", "Reports"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map(([place, country, n]) => h("tr", {}, h("th", { scope: "row" }, place), h("td", {}, country),
        h("td", { class: "num" }, n))))));
}

function svgButton(name, svg) {
  return h("button", { type: "button", class: "export", "data-export": "svg", "aria-label": `Download ${name} as SVG`,
    onclick: () => download(new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" }), `${name}.svg`) },
  "SVG");
}

function innerWidth(container) {
  const style = getComputedStyle(container);
  const inner = container.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.round(Math.max(280, Math.min(1040, inner || 760)));
}

// The figure: the map, a caption saying what it counts, downloads and the table behind it.
export function mapFigure(maps, data, { subject, filename, width }) {
  const description = describe(subject, data);
  const svg = mapSvg(maps, data, { width, title: `Where reports about ${subject} come from`, description });
  const bar = exportBar(filename, { table: () => placeTable(data), png: () => svgToPng(svg) });
  bar.append(svgButton(filename, svg));
  const unplaced = data.unplaced.reduce((sum, p) => sum + p.n, 0);
  return h("figure", { class: "map-figure", "data-total": data.total },
    h("div", { class: "map-box" }, svg),
    h("figcaption", {}, description, " Circle areas are proportional to reports.",
      unplaced ? ` ${count(unplaced)} named a place that is not on the map (in the table).` : ""),
    bar, numbersTable(subject, data));
}

// Fill `panel` with the map for one service (slug) or every service (null) over from..to or the last hours.
export async function showMap(panel, { service = null, subject, from = null, to = null, hours = null }) {
  const heading = h("h2", { id: `${panel.id || "map"}-h` }, "Where reports come from");
  clear(panel).append(heading, h("p", { class: "loading" }, "Loading the map…"));
  try {
    const [maps, data] = await Promise.all([
      loadOutline(),
      getJSON(`/dashboard/data/locations${query({ service, from, to, hours })}`),
    ]);
    const filename = `${service || "all-services"}-places`;
    clear(panel).append(heading, mapFigure(maps.maps, data, { subject, filename, width: innerWidth(panel) }));
  } catch (error) {
    clear(panel).append(heading, h("p", { class: "error" }, `Could not load the map: ${error.message}`));
  }
}

export function mapPanel(id) {
  return h("section", { id, class: "panel map-panel", "aria-labelledby": `${id}-h` });
}
