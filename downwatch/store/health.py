"""Source health: last success, lag, last error and counters, readable by the API and the detector."""

from __future__ import annotations

from typing import Any

import asyncpg

RECORD_SUCCESS = """
INSERT INTO source_health (source, last_success_at, items_total, lag_seconds, updated_at)
VALUES ($1, now(), $2, $3, now())
ON CONFLICT (source) DO UPDATE
SET last_success_at = now(), items_total = source_health.items_total + EXCLUDED.items_total,
    lag_seconds = EXCLUDED.lag_seconds, updated_at = now()
"""

RECORD_ERROR = """
INSERT INTO source_health (source, last_error_at, last_error, errors_total, updated_at)
VALUES ($1, now(), $2, 1, now())
ON CONFLICT (source) DO UPDATE
SET last_error_at = now(), last_error = EXCLUDED.last_error,
    errors_total = source_health.errors_total + 1, updated_at = now()
"""

SET_PAUSED = """
INSERT INTO source_health (source, paused, updated_at) VALUES ($1, $2, now())
ON CONFLICT (source) DO UPDATE SET paused = EXCLUDED.paused, updated_at = now()
"""

READ = """
SELECT source, last_success_at, last_error_at, last_error, errors_total, items_total, lag_seconds,
       paused, updated_at
FROM source_health ORDER BY source
"""

MAX_ERROR_LENGTH = 500


async def record_success(conn: asyncpg.Connection | asyncpg.Pool, source: str, items: int,
                         lag_seconds: float | None) -> None:
    await conn.execute(RECORD_SUCCESS, source, items, lag_seconds)


async def record_error(conn: asyncpg.Connection | asyncpg.Pool, source: str, error: str) -> None:
    await conn.execute(RECORD_ERROR, source, error[:MAX_ERROR_LENGTH])


async def set_paused(conn: asyncpg.Connection | asyncpg.Pool, source: str, paused: bool) -> None:
    await conn.execute(SET_PAUSED, source, paused)


async def read_health(conn: asyncpg.Connection | asyncpg.Pool) -> list[dict[str, Any]]:
    return [dict(row) for row in await conn.fetch(READ)]
