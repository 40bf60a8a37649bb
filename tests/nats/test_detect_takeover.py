"""A detector worker killed with kill -9 is replaced by another, which resumes every partition from its
checkpoint: no bucket left unscored, none scored twice, every scored count equal to what was stored."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import Settings
from downwatch.runtime.bus.connection import connect as connect_bus
from downwatch.runtime.bus.names import partition_of
from downwatch.runtime.roles.apps import role_app
from downwatch.runtime.roles.verdict_chunks import chunk_key, decode_chunk, decode_stamp, stamp_key
from downwatch.store.detector_lock import LOCK_NAMESPACE
from tests.nats.conftest import reporter
from tests.nats.processes import RoleProcess, role_environment, wait_until

SERVICES = ("adyen", "akamai")  # one in each of the two partitions
HELD = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")



async def reporting(api: TestClient, stop: asyncio.Event) -> int:  # type: ignore[type-arg]
    sent = 0
    while not stop.is_set():
        for service in SERVICES:
            response = await api.post("/v1/reports", json={"service": service, "problem": "login"},
                                      headers=reporter(f"reporter-{sent}"))
            assert response.status == 202, await response.text()
            sent += 1
        await asyncio.sleep(0.05)
    return sent


async def test_kill_9_of_a_detector_worker_is_replaced_without_gap_or_double_count(
        nats_settings: Settings) -> None:
    settings = nats_settings.with_overrides(bucket_seconds=1, nats_partitions=2, report_window_seconds=3600)
    assert {partition_of(s, 2) for s in SERVICES} == {0, 1}
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url)
    env = role_environment(settings)
    first = RoleProcess("detect", env)
    standby: RoleProcess | None = None
    stop = asyncio.Event()
    try:
        async with TestClient(TestServer(role_app(settings, "api"))) as api, \
                TestClient(TestServer(role_app(settings, "write"))):
            async def locks_held() -> bool:
                return bool(await conn.fetchval(HELD, LOCK_NAMESPACE) == 2)

            async def scored_buckets(after: Any = None) -> int:
                return int(await conn.fetchval("SELECT count(DISTINCT bucket) FROM scores WHERE observed > 0 "
                                               "AND ($1::timestamptz IS NULL OR bucket > $1)", after))

            await wait_until("the first worker owning both partitions", locks_held)
            standby = RoleProcess("detect", env)
            sender = asyncio.create_task(reporting(api, stop))
            await wait_until("three scored buckets", lambda: _at_least(scored_buckets(), 3))
            first.kill9()
            killed_at = await conn.fetchval("SELECT now()")
            await wait_until("the standby scoring after the kill",
                             lambda: _at_least(scored_buckets(killed_at), 3))
            stop.set()
            sent = await sender
            last_report = await conn.fetchval("SELECT max(observed_at) FROM signals WHERE kind = 'report'")
            await wait_until("every report's bucket scored", lambda: _at_least(
                conn.fetchval("SELECT min(b) FROM (SELECT max(bucket) AS b FROM scores GROUP BY service) m"),
                last_report.replace(microsecond=0)))
            assert await conn.fetchval("SELECT count(*) FROM signals WHERE kind = 'report'") == sent
            for service in SERVICES:
                scored = await conn.fetch("SELECT bucket, observed FROM scores WHERE service = $1 "
                                          "ORDER BY bucket", service)
                buckets = [row["bucket"] for row in scored]
                steps = {(b - a).total_seconds() for a, b in itertools.pairwise(buckets)}
                assert steps == {1.0}, f"{service}: a bucket was skipped ({sorted(steps)})"
                counted = {row["bucket"]: row["n"] for row in await conn.fetch(
                    "SELECT bucket, sum(n) AS n FROM counts WHERE service = $1 AND kind = 'report' "
                    "GROUP BY bucket", service)}
                for row in scored:
                    assert row["observed"] == counted.get(row["bucket"], 0), (service, row["bucket"])
                assert sum(counted.values()) == sent // 2
            bus = await connect_bus(settings)
            try:
                kv = await bus.verdicts()
                for partition in (0, 1):
                    chunk = decode_chunk((await kv.get(chunk_key(partition, 0))).value or b"")
                    stamp = decode_stamp((await kv.get(stamp_key(partition))).value or b"")
                    assert stamp.at > killed_at, f"partition {partition} not stamped after the kill"
                    assert SERVICES[partition] in chunk.verdicts
            finally:
                await bus.close()
            assert await conn.fetchval(HELD, LOCK_NAMESPACE) == 2
    finally:
        stop.set()
        first.stop()
        if standby is not None:
            standby.stop()
        await conn.close()


async def _at_least(value: Awaitable[Any], expected: Any) -> bool:
    found = await value
    return found is not None and found >= expected
