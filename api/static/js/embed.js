// The embeddable widget: one service's live status, kept current by the stream.

import { getJSON } from "./api.js";
import { clear, h } from "./dom.js";
import { statusWord, timesNormal } from "./format.js";
import { liveVerdicts } from "./live.js";
import { timeEl } from "./time.js";

const widget = document.getElementById("widget");
const slug = decodeURIComponent(location.pathname.replace(/^\/embed\//, "").replace(/\/$/, ""));

function draw(verdict) {
  const name = verdict.name || slug;
  const times = timesNormal(verdict.ratio);
  widget.dataset.status = verdict.status;
  clear(widget).append(
    h("h1", {}, h("a", { href: `/s/${encodeURIComponent(slug)}`, target: "_blank", rel: "noopener" }, name)),
    h("p", { class: `state status-${verdict.status}`, "data-role": "status" }, statusWord(verdict.status)),
    h("p", { class: "facts" },
      times ? `${times}` : "No unusual activity",
      verdict.since && verdict.status !== "up" ? [" · since ", timeEl(verdict.since)] : null),
    h("p", { class: "source" }, "Crowd reports via ",
      h("a", { href: `/s/${encodeURIComponent(slug)}`, target: "_blank", rel: "noopener" }, "downwatch"),
      verdict.updated_at ? [" · updated ", timeEl(verdict.updated_at)] : null));
  document.title = `${name}: ${statusWord(verdict.status)} — downwatch`;
}

async function start() {
  try {
    draw(await getJSON(`/v1/services/${encodeURIComponent(slug)}`));
  } catch (error) {
    clear(widget).append(h("p", {}, error.message));
    return;
  }
  liveVerdicts({ services: [slug], scores: true, onVerdict: draw });
}

start();
