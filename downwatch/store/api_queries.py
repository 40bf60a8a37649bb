"""Queries of the public API: the timeline, incidents, and which report keys are already stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

TIMELINE = """
SELECT to_timestamp(floor(extract(epoch FROM bucket) / $4) * $4) AS t,
       sum(observed) AS observed, sum(expected) AS expected, max(score) AS score,
       max(CASE status WHEN 'down' THEN 3 WHEN 'degraded' THEN 2 WHEN 'up' THEN 1 ELSE 0 END) AS severity
FROM scores
WHERE service = $1 AND bucket >= $2 AND bucket < $3
GROUP BY 1
ORDER BY 1
"""

INCIDENTS = """
SELECT id, service, status, severity, started_at, detected_at, peak_at, peak_count, ended_at, body,
       updated_at
FROM incidents
WHERE ($1::text IS NULL OR service = $1)
  AND ($2::text IS NULL OR status = $2)
  AND ($3::timestamptz IS NULL OR coalesce(ended_at, 'infinity') >= $3)
  AND ($4::timestamptz IS NULL OR started_at < $4)
ORDER BY started_at DESC, id DESC
LIMIT $5 OFFSET $6
"""

EXISTING_KEYS = """
SELECT external_id FROM signal_keys WHERE source = $1 AND external_id = ANY($2::text[])
"""

SEVERITY_STATUS = {3: "down", 2: "degraded", 1: "up", 0: "unknown"}


async def timeline(conn: asyncpg.Pool | asyncpg.Connection, service: str, start: datetime, end: datetime,
                   step_seconds: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(TIMELINE, service, start, end, step_seconds)
    return [{"t": row["t"], "observed": row["observed"], "expected": row["expected"],
             "score": row["score"], "status": SEVERITY_STATUS[row["severity"]]} for row in rows]


async def incidents(conn: asyncpg.Pool | asyncpg.Connection, *, service: str | None, status: str | None,
                    start: datetime | None, end: datetime | None, limit: int,
                    offset: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(INCIDENTS, service, status, start, end, limit, offset)
    return [dict(row) for row in rows]


async def existing_signal_keys(conn: asyncpg.Connection, source: str,
                               external_ids: Sequence[str]) -> set[str]:
    rows = await conn.fetch(EXISTING_KEYS, source, list(external_ids))
    return {row["external_id"] for row in rows}
