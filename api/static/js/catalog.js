// The service catalog (names, aliases, categories, countries), fetched once per page load.

import { getJSON } from "./api.js";

let pending = null;

export function catalog() {
  if (!pending) {
    pending = getJSON("/v1/services").then((body) => body.services).catch((error) => {
      pending = null;
      throw error;
    });
  }
  return pending;
}

function fold(text) {
  return String(text).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

export function findServices(services, text, limit = 8) {
  const needle = fold(text.trim());
  if (!needle) return [];
  const scored = [];
  for (const service of services) {
    const names = [service.name, service.slug, ...(service.aliases || [])].map(fold);
    let best = Infinity;
    names.forEach((name, i) => {
      const at = name.indexOf(needle);
      if (at === -1) return;
      const rank = (at === 0 ? 0 : 10) + (i === 0 ? 0 : 1) + (name === needle ? -5 : 0);
      best = Math.min(best, rank);
    });
    if (best !== Infinity) scored.push([best, service]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name));
  return scored.slice(0, limit).map(([, service]) => service);
}
