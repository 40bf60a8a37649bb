// The embeddable widget: one service's live status, kept current by the stream. Its figures are the
// service page's: the verdict and what the headline rule (api/headline.py) lets a page print about it.

import { getJSON } from "./api.js";
import { clear, h } from "./dom.js";
import { countOf, spanWords, statusWord, timesNormal, usually } from "./format.js";
import { liveVerdicts } from "./live.js";
import { parseTime, setDataNow, timeEl } from "./time.js";

const ALARMS = new Set(["down", "degraded"]);
const widget = document.getElementById("widget");
const slug = decodeURIComponent(location.pathname.replace(/^\/embed\//, "").replace(/\/$/, ""));
const headlineUrl = `/dashboard/data/headline/${encodeURIComponent(slug)}`;

function figure(verdict, headline) {
  const times = headline ? timesNormal(headline.ratio) : null;
  if (times) return times;
  if (headline && headline.observed !== null && headline.observed !== undefined && ALARMS.has(verdict.status)) {
    return `${countOf(headline.observed, "report")} in the last ${spanWords(headline.window_seconds)}`
      + ` (${usually(headline.expected)})`;
  }
  return ALARMS.has(verdict.status) ? "" : "No unusual activity";
}

function draw(name, verdict, headline) {
  setDataNow(verdict.updated_at);
  const since = headline && ALARMS.has(verdict.status) ? headline.since : null;
  widget.dataset.status = verdict.status;
  clear(widget).append(
    h("h1", {}, h("a", { href: `/s/${encodeURIComponent(slug)}`, target: "_blank", rel: "noopener" }, name)),
    h("p", { class: `state status-${verdict.status}`, "data-role": "status" }, statusWord(verdict.status)),
    h("p", { class: "facts" }, figure(verdict, headline), since ? [" · since ", timeEl(since)] : null),
    h("p", { class: "source" }, "Crowd reports via ",
      h("a", { href: `/s/${encodeURIComponent(slug)}`, target: "_blank", rel: "noopener" }, "downwatch"),
      verdict.updated_at ? [" · updated ", timeEl(verdict.updated_at)] : null));
  document.title = `${name}: ${statusWord(verdict.status)} — downwatch`;
}

async function start() {
  let answer;
  try {
    answer = await getJSON(headlineUrl);
  } catch (error) {
    clear(widget).append(h("p", {}, error.message));
    return;
  }
  const name = answer.name || slug;
  let { verdict } = answer;
  draw(name, verdict, answer.headline);
  // A live verdict is drawn at once without figures; the rule's figures for it follow.
  liveVerdicts({ services: [slug], scores: true, onVerdict: async (next) => {
    const moved = next.bucket !== verdict.bucket || next.status !== verdict.status;
    verdict = next;
    if (!moved) return;
    draw(name, verdict, null);
    try {
      const fresh = await getJSON(headlineUrl, { cache: "no-cache" });
      if (parseTime(fresh.verdict.updated_at) >= parseTime(verdict.updated_at)) draw(name, fresh.verdict, fresh.headline);
    } catch {
      // The next verdict will try again; the status shown is already current.
    }
  } });
}

start();
