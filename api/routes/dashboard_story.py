"""The plain-language paragraph a reporter can quote, and the crowd-versus-official gap.

Pure functions of an incident, the baseline at its peak and the current verdict; all times in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

OPERATIONAL_INDICATORS = frozenset({"none", "operational"})
CROWD_PROBLEM_STATUSES = frozenset({"down", "degraded"})
PROBLEM_WORDS = {
    "login": "signing in", "website": "the website", "app": "the app", "email": "email",
    "billing": "billing and accounts", "payments": "payments", "connection": "connections",
    "streaming": "streaming", "messaging": "messaging", "other": "other problems",
}


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """An incident as the dashboard tells it: times in UTC, counts per bucket."""

    status: str
    severity: str
    started_at: datetime
    detected_at: datetime
    peak_at: datetime | None
    peak_count: float | None
    ended_at: datetime | None
    problems: Mapping[str, float]
    locations: Mapping[str, float]


def as_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def largest_first(values: Mapping[str, float]) -> dict[str, float]:
    """JSONB keeps keys in its own order; the story ranks them by value."""
    return dict(sorted(values.items(), key=lambda kv: (-float(kv[1]), kv[0])))


def facts_of(row: Mapping[str, Any]) -> IncidentFacts:
    """An incident: a row of the store (columns plus its JSON ``body``) or an item of ``/v1/incidents``
    (``problems`` and ``locations`` beside the columns)."""
    body = row.get("body") or row
    started = as_time(row["started_at"])
    detected = as_time(row["detected_at"]) or started
    assert started is not None and detected is not None
    peak_count = row.get("peak_count")
    return IncidentFacts(
        status=str(row.get("status", "active")), severity=str(row.get("severity", "down")),
        started_at=started, detected_at=detected, peak_at=as_time(row.get("peak_at")),
        peak_count=None if peak_count is None else float(peak_count), ended_at=as_time(row.get("ended_at")),
        problems=largest_first(body.get("problems") or {}),
        locations=largest_first(body.get("locations") or {}))


def clock(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def day(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def part_of_day(moment: datetime) -> str:
    hour = moment.astimezone(UTC).hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def per_bucket(bucket_seconds: int) -> str:
    if bucket_seconds == 60:
        return "a minute"
    if bucket_seconds == 3600:
        return "an hour"
    if bucket_seconds % 60 == 0:
        return f"per {bucket_seconds // 60} minutes"
    return f"per {bucket_seconds} seconds"


def duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min"


def count(value: float) -> str:
    return f"{round(value):,}"


def times_usual(observed: float, expected: float | None) -> str | None:
    if expected is None or expected <= 0:
        return None
    ratio = observed / expected
    return f"{ratio:,.0f} times" if ratio >= 10 else f"{ratio:.1f} times"


def listing(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def official_words(official: Mapping[str, Any] | None) -> str | None:
    if not official:
        return None
    description = official.get("description")
    indicator = official.get("indicator")
    if description:
        return f'"{description}"'
    return f'"{indicator}"' if indicator else None


def quotable_summary(name: str, facts: IncidentFacts, expected_at_peak: float | None, bucket_seconds: int,
                     official: Mapping[str, Any] | None, as_of: datetime) -> str:
    """One paragraph with figures, e.g. "Reports peaked at 4,310 a minute at 09:42 UTC, 37 times ..."."""
    sentences = [f"Reports of problems with {name} began rising at {clock(facts.started_at)} on "
                 f"{day(facts.started_at)}; downwatch detected an outage at {clock(facts.detected_at)}."]
    if facts.peak_at is not None and facts.peak_count is not None:
        peak = (f"Reports peaked at {count(facts.peak_count)} {per_bucket(bucket_seconds)} at "
                f"{clock(facts.peak_at)}")
        usual = times_usual(facts.peak_count, expected_at_peak)
        if usual is not None:
            peak += (f", {usual} the usual level for a {facts.peak_at.astimezone(UTC):%A} "
                     f"{part_of_day(facts.peak_at)}")
        sentences.append(peak + ".")
    problems = [PROBLEM_WORDS.get(p, p) + f" ({share:.0%})" for p, share in list(facts.problems.items())[:3]]
    if problems:
        sentences.append(f"Most reports are about {listing(problems)}.")
    places = list(facts.locations)[:3]
    if places:
        sentences.append(f"The most reports come from {listing(places)}.")
    said = official_words(official)
    if said is not None:
        sentences.append(f"At {clock(as_of)}, {name}'s official status page said {said}.")
    if facts.ended_at is not None and facts.status == "resolved":
        sentences.append(f"Reports returned to normal at {clock(facts.ended_at)}, after "
                         f"{duration((facts.ended_at - facts.started_at).total_seconds())}.")
    else:
        sentences.append(f"As of {clock(as_of)} the problem is ongoing "
                         f"({duration((as_of - facts.started_at).total_seconds())} so far).")
    return " ".join(sentences)


def official_gap(name: str, crowd_status: str, official: Mapping[str, Any] | None) -> dict[str, Any]:
    """The crowd's view beside the official page's, and a sentence when they disagree."""
    indicator = (official or {}).get("indicator")
    description = (official or {}).get("description")
    official_fine = indicator in OPERATIONAL_INDICATORS
    disagrees = crowd_status in CROWD_PROBLEM_STATUSES and official_fine
    sentence = None
    if disagrees:
        sentence = (f"The crowd says {name} is {crowd_status.upper()}; the official status page says "
                    f"{description or 'operational'}.")
    elif official is None or indicator is None:
        sentence = f"downwatch knows no official status page reading for {name}."
    return {"crowd": crowd_status, "official_indicator": indicator, "official_description": description,
            "disagrees": disagrees, "sentence": sentence}
