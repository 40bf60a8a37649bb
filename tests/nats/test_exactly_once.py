"""At-least-once delivery, exactly-once counting: a signal redelivered after its batch was committed (a
writer that died between COMMIT and the ack), and a report retried after a lost answer, count once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg

from downwatch.config import Settings
from downwatch.records import Kind, Problem, Signal
from downwatch.runtime.bus.connection import connect
from downwatch.runtime.bus.publisher import SignalPublisher
from downwatch.runtime.roles.write import SignalWriter
from downwatch.store.pool import create_pool
from downwatch.store.signals import insert_signals


def signal(n: int) -> Signal:
    return Signal(service="bt", kind=Kind.REPORT, problem=Problem.LOGIN, observed_at=datetime.now(UTC),
                  source="report", external_id=f"r-exactly-once-{n}", author_hash=f"client-{n}")


async def test_redelivered_and_republished_signals_are_counted_once(nats_settings: Settings) -> None:
    assert nats_settings.database_url
    bus = await connect(nats_settings)
    pool = await create_pool(nats_settings.database_url, min_size=1, max_size=2)
    try:
        publisher = SignalPublisher(bus)
        await publisher.start()
        committed_before_ack = [signal(n) for n in range(5)]
        async with pool.acquire() as conn:  # what a writer committed before it died, unacked
            assert await insert_signals(conn, committed_before_ack) == 5
        batch = [*committed_before_ack, *(signal(n) for n in range(5, 12))]
        assert await publisher.submit_all(batch) == 12
        assert await publisher.submit_all(batch[:3]) == 0, "a retried publish is a JetStream duplicate"
        writer = SignalWriter(bus, pool, bucket_seconds=60)
        stop = asyncio.Event()
        task = asyncio.create_task(writer.run(stop))
        for _ in range(200):
            if writer.health.stored + writer.health.duplicates >= 12:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task
        assert (writer.health.stored, writer.health.duplicates) == (7, 5)
        conn = await asyncpg.connect(nats_settings.database_url)
        try:
            rows = await conn.fetchval(
                "SELECT count(*) FROM signals WHERE external_id LIKE 'r-exactly-once-%'")
            counted = await conn.fetchval(
                "SELECT sum(n) FROM counts WHERE service = 'bt' AND kind = 'report'")
        finally:
            await conn.close()
        assert (rows, counted) == (12, 12)
    finally:
        await pool.close()
        await bus.close()
