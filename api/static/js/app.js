// The dashboard's router: the path and query name the view (so every view is a permalink).

import { clear, h } from "./dom.js";
import { showConnection } from "./live.js";
import { setupSearch } from "./search.js";
import { renderIncidents } from "./views/incidents.js";
import { renderNow } from "./views/now.js";
import { renderService } from "./views/service.js";

const main = document.getElementById("main");
let leave = () => {};

function route(url) {
  const service = url.pathname.match(/^\/s\/([^/]+)\/?$/);
  if (service) return { view: "service", slug: decodeURIComponent(service[1]), render: renderService };
  if (url.pathname === "/incidents") return { view: "incidents", render: renderIncidents };
  if (url.pathname === "/") return { view: "now", render: renderNow };
  return null;
}

function markCurrent(view) {
  for (const link of document.querySelectorAll("nav a[data-view]")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function show(focus) {
  leave();
  leave = () => {};
  showConnection("idle");
  const url = new URL(location.href);
  const target = route(url);
  clear(main);
  if (!target) {
    main.append(h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "/", "data-nav": true }, "See what is down now")));
    return;
  }
  markCurrent(target.view);
  const context = { url, slug: target.slug, navigate, replaceQuery };
  leave = (await target.render(main, context)) || (() => {});
  if (focus) main.focus({ preventScroll: true });
}

export function navigate(path) {
  history.pushState(null, "", path);
  window.scrollTo(0, 0);
  show(true);
}

// Record a view's state in the URL without a new history entry or a re-render.
export function replaceQuery(params) {
  const url = new URL(location.href);
  url.search = "";
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  history.replaceState(null, "", url);
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest("a[data-nav]");
  if (!link || link.origin !== location.origin) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});
window.addEventListener("popstate", () => show(true));
setupSearch(navigate);
show(false);
