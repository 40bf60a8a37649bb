"""Which detector worker owns a partition: a PostgreSQL session advisory lock per partition.

The lock lives as long as the worker's lock connection: a worker killed with ``kill -9`` (or cut off
from the server) loses it at once and another worker can take the partition over, so two workers
never score the same services into the store. Each worker also holds a lock of its own id, so the
live workers can be counted (each takes its fair share of the partitions). Incident ids are
striped by partition so workers never allocate the same id.
"""

from __future__ import annotations

import asyncpg

LOCK_NAMESPACE = 0x0D0E  # the first key of pg_advisory_lock(int, int): "downwatch detector partitions"
WORKER_NAMESPACE = 0x0D0F  # a live detector worker holds (WORKER_NAMESPACE, its id) while it runs
INCIDENT_ID_STRIDE = 1 << 40

TRY_LOCK = "SELECT pg_try_advisory_lock($1::int, $2::int)"
UNLOCK = "SELECT pg_advisory_unlock($1::int, $2::int)"
HELD = """
SELECT objid::int FROM pg_locks
WHERE locktype = 'advisory' AND classid = $1::int AND objsubid = 2 AND pid = pg_backend_pid() AND granted
"""
LIVE_WORKERS = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND classid = $1::int AND objsubid = 2 AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
NEXT_ID_IN = """
SELECT coalesce(max(id) + 1, $1::bigint) FROM incidents WHERE id >= $1::bigint AND id < $2::bigint
"""


async def try_lock_partition(conn: asyncpg.Connection, partition: int) -> bool:
    """Take the partition for this connection's session; False when another session holds it."""
    return bool(await conn.fetchval(TRY_LOCK, LOCK_NAMESPACE, partition))


async def unlock_partition(conn: asyncpg.Connection, partition: int) -> None:
    await conn.fetchval(UNLOCK, LOCK_NAMESPACE, partition)


async def held_partitions(conn: asyncpg.Connection) -> set[int]:
    """The partitions this session holds (asked of the server, so a lost session shows as none)."""
    return {row[0] for row in await conn.fetch(HELD, LOCK_NAMESPACE)}


async def register_worker(conn: asyncpg.Connection, worker_id: int) -> None:
    """Count this session among the live workers until it ends (``live_workers``)."""
    await conn.fetchval(TRY_LOCK, WORKER_NAMESPACE, worker_id)


async def live_workers(conn: asyncpg.Connection) -> int:
    """How many detector workers hold a session on this database now (a killed one drops out at once)."""
    return int(await conn.fetchval(LIVE_WORKERS, WORKER_NAMESPACE))


def incident_id_range(partition: int) -> tuple[int, int]:
    """The incident ids partition ``partition`` allocates from (the single process uses the ids below)."""
    low = (partition + 1) * INCIDENT_ID_STRIDE
    return low, low + INCIDENT_ID_STRIDE


async def next_incident_id_in(conn: asyncpg.Connection | asyncpg.Pool, partition: int) -> int:
    low, high = incident_id_range(partition)
    value: int = await conn.fetchval(NEXT_ID_IN, low, high)
    return value
