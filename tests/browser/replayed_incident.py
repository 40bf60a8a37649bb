"""A replayed BT-style outage written to a real store and published on the verdict board.

Detector output (scores, verdict changes, incidents) goes through ``write_tick`` and the evidence
(reports and public posts with places) through ``insert_signals``, exactly as the live process writes
them; the current verdicts are published on the board. Everything is relative to ``now``
(``STORY_NOW``, in the past).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from downwatch.records import Kind, Problem, Signal
from downwatch.store.detector_output import ScoreRow, TickOutput, VerdictChange, write_tick
from downwatch.store.pool import connect
from downwatch.store.signals import insert_signals

BUCKET = timedelta(minutes=1)
HISTORY = timedelta(hours=24)
QUIET = {"ee": 6.0, "sky": 9.0, "gmail": 7.0, "virgin-media": 12.0, "talktalk": 4.0}
CITIES = ("London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol", "Cardiff")
PROBLEM_MIX = ((Problem.LOGIN, 0.4), (Problem.BILLING, 0.22), (Problem.EMAIL, 0.2), (Problem.WEBSITE, 0.18))
SKY_INCIDENT_ID = 1
BT_INCIDENT_ID = 2
OFFICIAL_FINE = {"indicator": "none", "description": "All Systems Operational", "incident": None}


@dataclass(frozen=True, slots=True)
class Incident:
    """The story the dashboard should tell, with the times the test can check against."""

    now: datetime
    onset: datetime
    detected: datetime
    peak_at: datetime
    peak_count: float


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


STORY_HOUR = 19.0


def usual(service_level: float, moment: datetime, now: datetime) -> float:
    """A daily cycle, quiet at night and busiest in the evening, on the story's clock: ``now`` is always
    7 pm, so the figures do not depend on the hour the tests run at."""
    hour = (STORY_HOUR + (moment - now).total_seconds() / 3600) % 24
    return round(service_level * (1.0 + 0.5 * math.sin((hour - 9) / 24 * 2 * math.pi)), 3)


def wiggle(index: int, slug: str) -> float:
    return 1.0 + 0.25 * math.sin(index * 0.7 + len(slug)) * math.cos(index * 0.13)


def bt_observed(moment: datetime, story: Incident, expected: float, index: int) -> float:
    if moment < story.onset:
        return round(expected * wiggle(index, "bt"), 1)
    minutes = (moment - story.onset).total_seconds() / 60
    rise = min(1.0, minutes / 50)
    level = expected + (story.peak_count - expected) * rise
    if moment > story.peak_at:
        level = story.peak_count * 0.78
    if moment == story.peak_at:
        level = story.peak_count
    return round(level * (1 + 0.04 * math.sin(index)), 1)


def status_at(moment: datetime, story: Incident) -> str:
    if moment < story.detected:
        return "up"
    return "degraded" if moment < story.detected + timedelta(minutes=3) else "down"


def story_for(now: datetime) -> Incident:
    now = now.replace(second=0, microsecond=0)
    onset = now - timedelta(minutes=95)
    return Incident(now=now, onset=onset, detected=onset + timedelta(minutes=6),
                    peak_at=onset + timedelta(minutes=52), peak_count=412.0)


def score_rows(story: Incident) -> list[ScoreRow]:
    rows = []
    start = story.now - HISTORY
    for index in range(int(HISTORY / BUCKET) + 1):
        moment = start + index * BUCKET
        expected = usual(11.0, moment, story.now)
        observed = bt_observed(moment, story, expected, index)
        status = status_at(moment, story)
        score = 0.9999 if status != "up" else round(0.2 + 0.2 * abs(math.sin(index)), 4)
        rows.append(ScoreRow("bt", moment, observed, expected, score, status))
        for slug, level in QUIET.items():
            expected = usual(level, moment, story.now)
            rows.append(ScoreRow(slug, moment, round(expected * wiggle(index, slug), 1), expected,
                                 round(0.1 + 0.3 * abs(math.sin(index + level)), 4), "up"))
    return rows


def bt_verdict(story: Incident) -> dict[str, Any]:
    expected = usual(11.0, story.now, story.now)
    observed = round(story.peak_count * 0.78, 1)
    return {"status": "down", "since": iso(story.detected), "confidence": 0.97, "observed": observed,
            "expected": expected, "ratio": round(observed / expected, 2), "score": 0.9999,
            "bucket": iso(story.now), "updated_at": iso(story.now + timedelta(seconds=5)),
            "problems": {"login": 0.4, "billing": 0.22, "email": 0.2, "website": 0.18},
            "locations": {"London": 120, "Manchester": 48}, "sources": {}, "official": OFFICIAL_FINE,
            "incident_id": None,
            "explanation": f"{observed:.0f} reports and posts in the last minute against "
                           f"{expected:.0f} expected"}


def quiet_verdict(slug: str, story: Incident, status: str = "up", ratio: float = 1.0) -> dict[str, Any]:
    expected = usual(QUIET[slug], story.now, story.now)
    observed = round(expected * ratio, 1)
    return {"status": status, "since": iso(story.now - timedelta(minutes=14)) if status != "up" else None,
            "confidence": 0.8 if status != "up" else 0.9, "observed": observed, "expected": expected,
            "ratio": round(ratio, 2), "score": 0.97 if status != "up" else 0.3,
            "bucket": iso(story.now), "updated_at": iso(story.now + timedelta(seconds=5)), "problems": {},
            "locations": {}, "sources": {}, "official": None, "incident_id": None,
            "explanation": f"{observed:.0f} reports in the last minute against {expected:.0f} expected"}


WINDOW = timedelta(minutes=15)
"""The detector's excess window (``DetectorSettings.excess_window_seconds``), which the tests' rises fill."""


def window_rows(slug: str, story: Incident, observed: list[float], expected: float,
                status: str = "up") -> list[ScoreRow]:
    """Scored buckets for the window ending with the story's latest bucket, oldest first (``observed``
    shorter than the window is padded with zeros in front)."""
    buckets = int(WINDOW / BUCKET)
    counts = [0.0] * (buckets - len(observed)) + observed
    return [ScoreRow(slug, story.now - (buckets - 1 - i) * BUCKET, count, expected, 0.5, status)
            for i, count in enumerate(counts)]


async def rewrite_scores(database_url: str, rows: list[ScoreRow]) -> None:
    conn = await connect(database_url)
    try:
        await write_tick(conn, TickOutput(scores=rows))
    finally:
        await conn.close()


def current_verdicts(story: Incident, bt_incident_id: int | None = None) -> dict[str, dict[str, Any]]:
    verdicts = {slug: quiet_verdict(slug, story) for slug in QUIET}
    verdicts["talktalk"] = quiet_verdict("talktalk", story, status="degraded", ratio=3.2)
    verdicts["bt"] = {**bt_verdict(story), "incident_id": bt_incident_id}
    return verdicts


def incidents(story: Incident) -> list[dict[str, Any]]:
    bt = {"id": BT_INCIDENT_ID, "service": "bt", "status": "active", "severity": "down",
          "started_at": iso(story.onset),
          "detected_at": iso(story.detected), "peak_at": iso(story.peak_at), "peak_count": story.peak_count,
          "ended_at": None, "problems": {"login": 0.4, "billing": 0.22, "email": 0.2, "website": 0.18},
          "locations": {"London": 610, "Manchester": 204, "Birmingham": 198}}
    sky_start = story.now - timedelta(hours=20)
    sky = {"id": SKY_INCIDENT_ID, "service": "sky", "status": "resolved", "severity": "degraded",
           "started_at": iso(sky_start),
           "detected_at": iso(sky_start + timedelta(minutes=4)),
           "peak_at": iso(sky_start + timedelta(minutes=20)), "peak_count": 61.0,
           "ended_at": iso(sky_start + timedelta(minutes=75)), "problems": {"streaming": 0.8, "app": 0.2},
           "locations": {"London": 30}}
    return [sky, bt]


def changes(story: Incident) -> list[VerdictChange]:
    return [VerdictChange("bt", story.detected, "up", "degraded", {}),
            VerdictChange("bt", story.detected + timedelta(minutes=3), "degraded", "down", {})]


def signals(story: Incident) -> list[Signal]:
    """Reports and public posts about BT during the outage, with problems and places."""
    found = []
    minute = 0
    moment = story.onset
    while moment < story.now:
        per_minute = 2 + min(18, minute // 3)
        for i in range(per_minute):
            problem = PROBLEM_MIX[(i * 7 + minute) % 10 % len(PROBLEM_MIX)][0]
            city = CITIES[(i + minute) % len(CITIES)] if i % 4 else CITIES[0]
            at = moment + timedelta(seconds=(i * 53) % 60)
            post = i % 5 == 0
            found.append(Signal(
                service="bt", kind=Kind.POST if post else Kind.REPORT, problem=problem, observed_at=at,
                source="mastodon" if post else "reports", external_id=f"bt-{minute}-{i}",
                weight=0.9 if post else 1.0, location=city,
                evidence={"url": f"https://social.example/@user{i}/{minute}{i}",
                          "text": f"Can't get into my BT {problem.value} again, anyone else? ({minute}:{i})"}
                if post else {}))
        minute += 1
        moment += BUCKET
    return found


async def seed(conn: asyncpg.Connection, story: Incident) -> int:
    """Write the history; return the id of BT's open incident."""
    await write_tick(conn, TickOutput(scores=score_rows(story), incidents=incidents(story),
                                      changes=changes(story)))
    await insert_signals(conn, signals(story), bucket_seconds=int(BUCKET.total_seconds()))
    return BT_INCIDENT_ID


STORY_NOW = datetime(2025, 2, 4, 19, 0, tzinfo=UTC)
"""The story's clock: far from the wall clock, so a page that measured "now" by the browser's clock
instead of the data's would show durations no history allows."""
