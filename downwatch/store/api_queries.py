"""Read queries of the public API (timeline, incidents, admin catalog edits, report keys)."""

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

UPSERT_ADMIN_SERVICE = """
INSERT INTO services (slug, name, country, category, aliases, domains, handles, status_page, origin,
                      updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'admin', now())
ON CONFLICT (slug) DO UPDATE
SET name = EXCLUDED.name, country = EXCLUDED.country, category = EXCLUDED.category,
    aliases = EXCLUDED.aliases, domains = EXCLUDED.domains, handles = EXCLUDED.handles,
    status_page = EXCLUDED.status_page, origin = 'admin', updated_at = now()
"""

ADMIN_SERVICES = """
SELECT slug, name, country, category, aliases, domains, handles, status_page
FROM services WHERE origin = 'admin' ORDER BY slug
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


async def upsert_admin_service(conn: asyncpg.Pool | asyncpg.Connection, service: dict[str, Any]) -> None:
    await conn.execute(UPSERT_ADMIN_SERVICE, service["slug"], service["name"], service["country"],
                       service["category"], list(service["aliases"]), list(service["domains"]),
                       list(service["handles"]), service["status_page"])


async def admin_services(conn: asyncpg.Pool | asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(row) for row in await conn.fetch(ADMIN_SERVICES)]
