// Verdicts as they change, from the server-sent-events stream (the browser reconnects by itself,
// sending Last-Event-ID so nothing is missed).

export function liveVerdicts({ services = null, scores = false, onVerdict, onState = () => {} }) {
  const params = new URLSearchParams();
  if (services) params.set("service", services.join(","));
  if (scores) params.set("scores", "true");
  const text = params.toString();
  const source = new EventSource(`/v1/stream${text ? `?${text}` : ""}`);
  onState("connecting");
  source.addEventListener("open", () => onState("open"));
  source.addEventListener("error", () => onState(source.readyState === EventSource.CLOSED ? "closed" : "connecting"));
  source.addEventListener("verdict", (event) => {
    let verdict;
    try {
      verdict = JSON.parse(event.data);
    } catch {
      return;
    }
    onVerdict(verdict);
  });
  return () => source.close();
}

const STATE_WORDS = { connecting: "connecting…", open: "on", closed: "off (reload to retry)" };

// state: connecting | open | closed, or idle on a view without live updates (hidden).
export function showConnection(state) {
  const node = document.getElementById("connection");
  if (!node) return;
  node.dataset.state = state;
  node.hidden = state === "idle";
  node.textContent = `Live updates: ${STATE_WORDS[state] || state}`;
}

export function announce(message) {
  const region = document.getElementById("live");
  if (!region) return;
  const line = document.createElement("p");
  line.textContent = message;
  region.append(line);
  while (region.childElementCount > 5) region.firstElementChild.remove();
}
