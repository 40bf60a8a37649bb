// Numbers and statuses as words.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 });

export function count(value) {
  return value === null || value === undefined ? "—" : integer.format(value);
}

export function decimal(value) {
  return value === null || value === undefined ? "—" : oneDecimal.format(value);
}

// "1 report", "45 reports": the noun agrees with the number as it is shown (0.9 shows as "1 report").
export function countOf(value, singular, plural = `${singular}s`) {
  const shown = count(value);
  return `${shown} ${shown === "1" ? singular : plural}`;
}

// An expected count as words: "usually about 3", or "usually fewer than 1" (never "usual 0").
export function usually(expected) {
  if (expected === null || expected === undefined) return null;
  return expected < 1 ? "usually fewer than 1" : `usually about ${count(expected)}`;
}

// A span of time as words: "a minute", "15 minutes", "an hour", "3 hours".
export function spanWords(seconds) {
  if (seconds % 3600 === 0) return seconds === 3600 ? "an hour" : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? "a minute" : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

export function share(value) {
  return percent.format(value);
}

export function timesNormal(ratio) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio) || ratio <= 0) return null;
  return ratio >= 10 ? `${integer.format(ratio)}× normal` : `${oneDecimal.format(ratio)}× normal`;
}

export const STATUS_WORDS = {
  down: "Down", degraded: "Degraded", up: "Working", unknown: "Unknown",
};

export const PROBLEM_WORDS = {
  login: "Signing in", website: "Website", app: "App", email: "Email", billing: "Billing & account",
  payments: "Payments", connection: "Connection", streaming: "Streaming", messaging: "Messaging",
  other: "Other",
};

export function statusWord(status) {
  return STATUS_WORDS[status] || "Unknown";
}

export function problemWord(problem) {
  return PROBLEM_WORDS[problem] || problem;
}
