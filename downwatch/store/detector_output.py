"""What the detector writes each tick, and what it reads back: counts in, verdicts/scores/incidents out.

The detector itself is pure; these functions move its inputs and outputs (plain rows and JSON-ready
dicts) to and from PostgreSQL. One tick is written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from downwatch.store.pool import WORK_TIMEOUT_SECONDS

READ_COUNTS = """
SELECT service, bucket, kind, problem, n, weight, reporters FROM counts
WHERE bucket >= $1 AND bucket < $2 ORDER BY bucket, service, kind, problem
"""
READ_LOCATION_COUNTS = """
SELECT service, bucket, location, n FROM location_counts
WHERE bucket >= $1 AND bucket < $2 ORDER BY bucket, service, location
"""
READ_STATUS_READINGS = """
SELECT service, observed_at, weight, evidence FROM signals
WHERE kind = 'status' AND observed_at >= $1 AND observed_at < $2 ORDER BY observed_at, weight
"""
UPSERT_SCORES = """
INSERT INTO scores (service, bucket, observed, expected, score, status)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::float8[], $6::text[])
ON CONFLICT (service, bucket) DO UPDATE
SET observed = EXCLUDED.observed, expected = EXCLUDED.expected, score = EXCLUDED.score,
    status = EXCLUDED.status
"""
UPSERT_VERDICTS = """
INSERT INTO verdicts (service, status, since, body, updated_at, stamp_scope)
SELECT s.*, $6::text
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[], $5::timestamptz[]) AS s
ON CONFLICT (service) DO UPDATE
SET status = EXCLUDED.status, since = EXCLUDED.since, body = EXCLUDED.body, updated_at = EXCLUDED.updated_at,
    stamp_scope = EXCLUDED.stamp_scope
"""
UPSERT_STAMP = """
INSERT INTO verdict_stamps (scope, bucket, stamp, updated_at)
VALUES ($1, $2, jsonb_build_object('bucket', $2::text, 'updated_at', $3::text), $4)
ON CONFLICT (scope) DO UPDATE
SET bucket = EXCLUDED.bucket, stamp = EXCLUDED.stamp, updated_at = EXCLUDED.updated_at
"""
DETACH_OTHERS = """
UPDATE verdicts v SET body = CASE WHEN s.bucket > coalesce(v.body->>'bucket', '') THEN v.body || s.stamp
                                  ELSE v.body END,
                      updated_at = greatest(v.updated_at, s.updated_at), stamp_scope = NULL
FROM verdict_stamps s
WHERE s.scope = $1 AND v.stamp_scope = $1 AND NOT v.service = ANY($2::text[])
"""
INSERT_CHANGE = """
INSERT INTO verdict_changes (service, at, from_status, to_status, body) VALUES ($1, $2, $3, $4, $5)
"""
UPSERT_INCIDENT = """
INSERT INTO incidents (id, service, status, severity, started_at, detected_at, peak_at, peak_count,
                       ended_at, body, updated_at)
VALUES ($10, $1, $2, $3, $4, $5, $6, $7, $8, $9, now())
ON CONFLICT (id) DO UPDATE
SET service = EXCLUDED.service, detected_at = EXCLUDED.detected_at, status = EXCLUDED.status,
    severity = EXCLUDED.severity, started_at = EXCLUDED.started_at,
    peak_at = EXCLUDED.peak_at, peak_count = EXCLUDED.peak_count, ended_at = EXCLUDED.ended_at,
    body = EXCLUDED.body, updated_at = now()
"""
NEXT_INCIDENT_ID = "SELECT coalesce(max(id), 0) + 1 FROM incidents"
UPSERT_STATE = """
INSERT INTO detector_state (service, bucket, state, updated_at)
SELECT s.service, s.bucket, s.state, now()
FROM unnest($1::text[], $2::timestamptz[], $3::bytea[]) AS s(service, bucket, state)
ON CONFLICT (service) DO UPDATE SET bucket = EXCLUDED.bucket, state = EXCLUDED.state, updated_at = now()
"""
READ_STATE = "SELECT service, bucket, state FROM detector_state"
READ_STATE_OF = "SELECT service, bucket, state FROM detector_state WHERE service = ANY($1::text[])"
STAMPED_VERDICTS = """
SELECT v.service, CASE WHEN s.bucket > coalesce(v.body->>'bucket', '') THEN v.body || s.stamp ELSE v.body END
                  AS body,
       greatest(v.updated_at, s.updated_at) AS updated_at
FROM verdicts v LEFT JOIN verdict_stamps s ON s.scope = v.stamp_scope
"""
READ_VERDICTS = STAMPED_VERDICTS
READ_VERDICTS_OF = STAMPED_VERDICTS + "WHERE v.service = ANY($1::text[])"
LAST_SCORED_BUCKET = "SELECT max(bucket) FROM scores"
FIRST_COUNT_BUCKET = "SELECT min(bucket) FROM counts"


@dataclass(frozen=True, slots=True)
class ScoreRow:
    service: str
    bucket: datetime
    observed: float
    expected: float
    score: float
    status: str


@dataclass(frozen=True, slots=True)
class VerdictChange:
    service: str
    at: datetime
    from_status: str
    to_status: str
    body: dict[str, Any]


@dataclass(slots=True)
class TickOutput:
    """Everything one detector tick wants written."""

    scores: list[ScoreRow] = field(default_factory=list)
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The verdicts whose content changed (or all of them after a restore), written in full."""
    scope: str = "all"
    """The stamp scope of the ticker's verdicts (``verdict_stamps``)."""
    stamp: tuple[str, str] | None = None
    """The ``bucket`` and ``updated_at`` every other verdict of the scope now carries: one row, not a
    rewrite of each (at 33,000 services restamping every row was most of the store's work a tick)."""
    only: list[str] | None = None
    """Every service of the scope, when ``verdicts`` holds them all: a stored verdict of the scope not
    among them (a service gone from the catalog, or now another scope's) keeps its last stamp."""
    changes: list[VerdictChange] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    states: dict[str, tuple[datetime, bytes]] = field(default_factory=dict)


async def read_counts(conn: asyncpg.Connection | asyncpg.Pool, start: datetime,
                      end: datetime) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Counts and location counts for buckets in [start, end)."""
    counts = await conn.fetch(READ_COUNTS, start, end, timeout=WORK_TIMEOUT_SECONDS)
    places = await conn.fetch(READ_LOCATION_COUNTS, start, end, timeout=WORK_TIMEOUT_SECONDS)
    return counts, places


async def read_status_readings(conn: asyncpg.Connection | asyncpg.Pool, start: datetime,
                               end: datetime) -> list[asyncpg.Record]:
    """Status-page readings with times in [start, end), oldest first."""
    return list(await conn.fetch(READ_STATUS_READINGS, start, end, timeout=WORK_TIMEOUT_SECONDS))


async def write_tick(conn: asyncpg.Connection, out: TickOutput) -> None:
    """Write one tick atomically."""
    async with conn.transaction():
        if out.scores:
            s = out.scores
            await conn.execute(UPSERT_SCORES, [r.service for r in s], [r.bucket for r in s],
                               [r.observed for r in s], [r.expected for r in s], [r.score for r in s],
                               [r.status for r in s], timeout=WORK_TIMEOUT_SECONDS)
        for incident in out.incidents:
            await conn.execute(
                UPSERT_INCIDENT, incident["service"], incident["status"], incident["severity"],
                _time(incident["started_at"]), _time(incident["detected_at"]),
                _time(incident.get("peak_at")), incident.get("peak_count"), _time(incident.get("ended_at")),
                incident, incident["id"], timeout=WORK_TIMEOUT_SECONDS)
        if out.only is not None:
            await conn.execute(DETACH_OTHERS, out.scope, out.only, timeout=WORK_TIMEOUT_SECONDS)
        if out.verdicts:
            services = sorted(out.verdicts)
            bodies = [out.verdicts[name] for name in services]
            await conn.execute(UPSERT_VERDICTS, services, [b["status"] for b in bodies],
                               [_time(b.get("since")) for b in bodies], bodies,
                               [_time(b["updated_at"]) for b in bodies], out.scope,
                               timeout=WORK_TIMEOUT_SECONDS)
        if out.stamp is not None:
            bucket, updated_at = out.stamp
            await conn.execute(UPSERT_STAMP, out.scope, bucket, updated_at, _time(updated_at),
                               timeout=WORK_TIMEOUT_SECONDS)
        for change in out.changes:
            await conn.execute(INSERT_CHANGE, change.service, change.at, change.from_status,
                               change.to_status, change.body, timeout=WORK_TIMEOUT_SECONDS)
        if out.states:
            names = sorted(out.states)
            await conn.execute(UPSERT_STATE, names, [out.states[n][0] for n in names],
                               [out.states[n][1] for n in names], timeout=WORK_TIMEOUT_SECONDS)


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


async def read_states(conn: asyncpg.Connection | asyncpg.Pool, services: Sequence[str] | None = None
                      ) -> dict[str, tuple[datetime, bytes]]:
    """Every stored detector state, or only those of ``services``."""
    rows = (await conn.fetch(READ_STATE, timeout=WORK_TIMEOUT_SECONDS) if services is None
            else await conn.fetch(READ_STATE_OF, list(services), timeout=WORK_TIMEOUT_SECONDS))
    return {r["service"]: (r["bucket"], bytes(r["state"])) for r in rows}


async def read_verdicts(conn: asyncpg.Connection | asyncpg.Pool, services: Sequence[str] | None = None
                        ) -> dict[str, dict[str, Any]]:
    """Every stored verdict, or only those of ``services``."""
    rows = (await conn.fetch(READ_VERDICTS, timeout=WORK_TIMEOUT_SECONDS) if services is None
            else await conn.fetch(READ_VERDICTS_OF, list(services), timeout=WORK_TIMEOUT_SECONDS))
    return {r["service"]: r["body"] for r in rows}


async def last_scored_bucket(conn: asyncpg.Connection | asyncpg.Pool) -> datetime | None:
    value: datetime | None = await conn.fetchval(LAST_SCORED_BUCKET, timeout=WORK_TIMEOUT_SECONDS)
    return value


async def first_count_bucket(conn: asyncpg.Connection | asyncpg.Pool) -> datetime | None:
    value: datetime | None = await conn.fetchval(FIRST_COUNT_BUCKET, timeout=WORK_TIMEOUT_SECONDS)
    return value


async def next_incident_id(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    value: int = await conn.fetchval(NEXT_INCIDENT_ID, timeout=WORK_TIMEOUT_SECONDS)
    return value
