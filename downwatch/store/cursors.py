"""Ingest checkpoints: where each source resumes after a restart."""

from __future__ import annotations

from typing import Any

import asyncpg

LOAD = "SELECT cursor FROM ingest_cursors WHERE source = $1"
SAVE = """
INSERT INTO ingest_cursors (source, cursor, updated_at) VALUES ($1, $2::jsonb, now())
ON CONFLICT (source) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at
"""


async def load_cursor(conn: asyncpg.Connection | asyncpg.Pool, source: str) -> dict[str, Any] | None:
    value: dict[str, Any] | None = await conn.fetchval(LOAD, source)
    return value


async def save_cursor(conn: asyncpg.Connection | asyncpg.Pool, source: str, cursor: dict[str, Any]) -> None:
    await conn.execute(SAVE, source, cursor)
