"""Ordered SQL migrations, recorded in ``schema_migrations`` and applied under an advisory lock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

import asyncpg

from downwatch.store.pool import WORK_TIMEOUT_SECONDS

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
LOCK_KEY = 7_343_201


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str = field(repr=False)


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("downwatch.store.migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {versions}")
    return found


async def applied_versions(conn: asyncpg.Connection) -> set[int]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return set()
    return {row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations")}


async def upgrade(conn: asyncpg.Connection) -> list[Migration]:
    """Apply every migration not yet recorded, each in its own transaction; return those applied."""
    applied: list[Migration] = []
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY, timeout=WORK_TIMEOUT_SECONDS)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())")
        done = await applied_versions(conn)
        for migration in available_migrations():
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql, timeout=WORK_TIMEOUT_SECONDS)
                await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                   migration.version, migration.name)
            applied.append(migration)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY, timeout=WORK_TIMEOUT_SECONDS)
    return applied
