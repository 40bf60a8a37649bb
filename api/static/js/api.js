// Reading the JSON API; a problem+json answer becomes an Error carrying its detail.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// cache: "no-cache" revalidates (ETag) instead of reusing an answer the browser may keep until the next tick.
export async function getJSON(url, { signal, cache = "default" } = {}) {
  let response;
  try {
    response = await fetch(url, { signal, cache, headers: { Accept: "application/json" } });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The server could not be reached. Check your connection and try again.");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, (body && body.detail) || `The server answered ${response.status}.`);
  }
  return body;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
