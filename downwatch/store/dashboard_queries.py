"""Queries behind the journalists' dashboard: sparklines, verdict changes, breakdowns and evidence.

Every query reads one service (or a short list of them) over a bounded time range, except ``BUSIEST``,
which ranks every service over one short window (index ``scores_bucket``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

SPARKLINES = """
SELECT service, to_timestamp(floor(extract(epoch FROM bucket) / $4) * $4) AS t,
       sum(observed) AS observed, sum(expected) AS expected
FROM scores
WHERE service = ANY($1::text[]) AND bucket >= $2 AND bucket < $3
GROUP BY 1, 2
ORDER BY 1, 2
"""

VERDICT_CHANGES = """
SELECT at, from_status, to_status FROM verdict_changes
WHERE service = $1 AND at >= $2 AND at < $3
ORDER BY at, id
LIMIT $4
"""

PROBLEM_TOTALS = """
SELECT kind, problem, sum(n) AS n, sum(weight) AS weight FROM counts
WHERE service = $1 AND bucket >= $2 AND bucket < $3
GROUP BY kind, problem
"""

LOCATION_TOTALS = """
SELECT location, sum(n) AS n FROM location_counts
WHERE service = $1 AND bucket >= $2 AND bucket < $3
GROUP BY location
ORDER BY n DESC, location
LIMIT $4
"""

RECENT_POSTS = """
SELECT source, observed_at, problem, location, weight, evidence FROM signals
WHERE service = $1 AND kind = 'post' AND observed_at >= $2 AND observed_at < $3
ORDER BY observed_at DESC
LIMIT $4
"""

BUSIEST = """
SELECT service, sum(observed) AS observed, sum(expected) AS expected FROM scores
WHERE bucket >= $1 AND bucket < $2
GROUP BY service
HAVING sum(observed) > 0
ORDER BY sum(observed) DESC, service
LIMIT $3
"""

SCORE_AT = """
SELECT bucket, observed, expected FROM scores
WHERE service = $1 AND bucket <= $2
ORDER BY bucket DESC
LIMIT 1
"""


async def sparklines(conn: asyncpg.Pool | asyncpg.Connection, services: Sequence[str], start: datetime,
                     end: datetime, step_seconds: int) -> dict[str, list[dict[str, Any]]]:
    """Observed and expected per step for each service, in time order."""
    rows = await conn.fetch(SPARKLINES, list(services), start, end, step_seconds)
    lines: dict[str, list[dict[str, Any]]] = {slug: [] for slug in services}
    for row in rows:
        lines[row["service"]].append({"t": row["t"], "observed": row["observed"],
                                      "expected": row["expected"]})
    return lines


async def busiest(conn: asyncpg.Pool | asyncpg.Connection, start: datetime, end: datetime,
                  limit: int) -> list[dict[str, Any]]:
    """The services with the most reports and posts scored in [start, end), most first, with the sum
    expected over the same buckets; services with none are left out."""
    rows = await conn.fetch(BUSIEST, start, end, limit)
    return [{"service": row["service"], "observed": row["observed"], "expected": row["expected"]}
            for row in rows]


async def verdict_changes(conn: asyncpg.Pool | asyncpg.Connection, service: str, start: datetime,
                          end: datetime, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(VERDICT_CHANGES, service, start, end, limit)
    return [{"at": row["at"], "from": row["from_status"], "to": row["to_status"]} for row in rows]


async def problem_totals(conn: asyncpg.Pool | asyncpg.Connection, service: str, start: datetime,
                         end: datetime) -> list[dict[str, Any]]:
    """Signals per (kind, problem) over the range: counts and summed classifier weight."""
    rows = await conn.fetch(PROBLEM_TOTALS, service, start, end)
    return [{"kind": row["kind"], "problem": row["problem"], "n": int(row["n"]),
             "weight": float(row["weight"])} for row in rows]


async def location_totals(conn: asyncpg.Pool | asyncpg.Connection, service: str, start: datetime,
                          end: datetime, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(LOCATION_TOTALS, service, start, end, limit)
    return [{"location": row["location"], "n": int(row["n"])} for row in rows]


async def recent_posts(conn: asyncpg.Pool | asyncpg.Connection, service: str, start: datetime,
                       end: datetime, limit: int) -> list[dict[str, Any]]:
    """The newest public posts counted as reports (never the author hash)."""
    rows = await conn.fetch(RECENT_POSTS, service, start, end, limit)
    return [{"source": row["source"], "observed_at": row["observed_at"], "problem": row["problem"],
             "location": row["location"], "weight": float(row["weight"]),
             "evidence": row["evidence"]} for row in rows]


async def score_at(conn: asyncpg.Pool | asyncpg.Connection, service: str,
                   moment: datetime) -> dict[str, Any] | None:
    """The scored bucket holding ``moment`` (or the last one before it)."""
    row = await conn.fetchrow(SCORE_AT, service, moment)
    return None if row is None else dict(row)
