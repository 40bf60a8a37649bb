"""Retention: raw signals older than ``retention_days`` go, a whole daily partition at a time.

Counts, scores, verdicts and incidents are aggregates without author hashes or text, and stay.
The keys of dropped signals go too; ``insert_signals`` refuses signals older than the horizon, so a
late replay of expired data cannot count them again.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import asyncpg

from downwatch.store.pool import WORK_TIMEOUT_SECONDS

PARTITIONS = """
SELECT c.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relname = 'signals'
"""
DROP_PARTITION = "SELECT downwatch_drop_signal_partition($1::date)"
DELETE_KEYS = "DELETE FROM signal_keys WHERE observed_at < $1"
PARTITION_NAME = re.compile(r"^signals_(\d{8})$")


def horizon(now: datetime, retention_days: int) -> datetime:
    """The oldest instant still kept: midnight UTC, ``retention_days`` days before ``now``."""
    day = now.astimezone(UTC).date() - timedelta(days=retention_days)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def partition_days(conn: asyncpg.Connection) -> list[date]:
    days = []
    for row in await conn.fetch(PARTITIONS, timeout=WORK_TIMEOUT_SECONDS):
        match = PARTITION_NAME.match(row["relname"])
        if match:
            days.append(datetime.strptime(match.group(1), "%Y%m%d").date())
    return sorted(days)


async def apply_retention(conn: asyncpg.Connection, now: datetime, retention_days: int) -> list[date]:
    """Drop the partitions and keys older than the horizon; return the days dropped."""
    cutoff = horizon(now, retention_days)
    dropped = []
    async with conn.transaction():
        for day in await partition_days(conn):
            if day < cutoff.date():
                await conn.fetchval(DROP_PARTITION, day, timeout=WORK_TIMEOUT_SECONDS)
                dropped.append(day)
        await conn.execute(DELETE_KEYS, cutoff, timeout=WORK_TIMEOUT_SECONDS)
    return dropped
