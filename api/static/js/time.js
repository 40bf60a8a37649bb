// Times in the reader's zone, with the UTC time in the title (shown on hover), and the data's clock:
// every "now", "ongoing for" and "today" is measured against the time of the data the page shows (the
// board's time; the demo's clock in the demo), never against the browser's wall clock.

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayClockFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
});
const fullFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  timeZoneName: "short",
});

export function parseTime(value) {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function utcText(date) {
  return date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

function sameLocalDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

let dataClock = null;

// Views call this with the time an answer was computed at (the board's `at`, `as_of`, `updated_at`).
export function setDataNow(value) {
  const date = parseTime(value);
  if (date && (!dataClock || date > dataClock)) dataClock = date;
  return dataClock;
}

// The data's now, or null before any answer said it.
export function dataNow() {
  return dataClock;
}

export function localText(date, { full = false, reference = dataClock } = {}) {
  if (full) return fullFormat.format(date);
  return reference && sameLocalDay(date, reference) ? clockFormat.format(date) : dayClockFormat.format(date);
}

export function timeEl(value, options = {}) {
  const date = parseTime(value);
  const node = document.createElement("time");
  if (!date) {
    node.textContent = "—";
    return node;
  }
  node.dateTime = date.toISOString();
  node.title = utcText(date);
  node.textContent = localText(date, options);
  return node;
}

// A duration as words, or null when it cannot be one (negative, or not a number).
export function durationText(ms) {
  if (!Number.isFinite(ms) || ms < 0) return null;
  const minutes = Math.round(ms / 60000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// How long from `start` to `end`, or to the data's now while it is ongoing; null when unknown.
export function elapsedText(start, end = null, asOf = dataClock) {
  const from = parseTime(start);
  const to = parseTime(end) || parseTime(asOf);
  return from && to ? durationText(to - from) : null;
}
