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
