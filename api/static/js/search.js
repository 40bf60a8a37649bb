// The search box: a combobox (WAI-ARIA pattern) over service names and aliases.

import { catalog, findServices } from "./catalog.js";
import { clear, h } from "./dom.js";
import { statusWord } from "./format.js";

export function setupSearch(navigate) {
  const form = document.getElementById("search-form");
  const input = document.getElementById("search");
  const list = document.getElementById("search-options");
  let options = [];
  let active = -1;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(service) {
    close();
    input.value = "";
    input.blur();
    navigate(`/s/${encodeURIComponent(service.slug)}`);
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) input.setAttribute("aria-activedescendant", `search-option-${index}`);
    else input.removeAttribute("aria-activedescendant");
  }

  async function update() {
    let services;
    try {
      services = await catalog();
    } catch {
      return;
    }
    options = findServices(services, input.value);
    clear(list);
    if (!options.length) {
      if (input.value.trim()) {
        list.append(h("li", { class: "empty", role: "option", "aria-disabled": "true" }, "No service matches"));
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      return;
    }
    options.forEach((service, i) => {
      const alias = (service.aliases || []).find((a) => a.toLowerCase().includes(input.value.trim().toLowerCase()));
      list.append(h("li", {
        id: `search-option-${i}`, role: "option", "aria-selected": "false", "data-slug": service.slug,
        onmousedown: (event) => { event.preventDefault(); choose(service); },
      }, h("span", { class: "option-name" }, service.name),
      alias && alias !== service.name ? h("span", { class: "muted" }, ` (${alias})`) : null,
      h("span", { class: `badge small status-${service.status}` }, statusWord(service.status))));
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
  }

  input.addEventListener("input", update);
  input.addEventListener("focus", () => { catalog().catch(() => {}); });
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      if (list.hidden) update();
      highlight((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Escape") {
      close();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const service = options[active] || options[0];
    if (service) choose(service);
  });
}
