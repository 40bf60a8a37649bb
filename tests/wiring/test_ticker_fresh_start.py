"""A process that dies before its first tick writes leaves no detector memory in a fresh store; the
next one must still score the buckets that already hold reports (they were once never scored)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from downwatch.records import Kind, Problem, Signal
from downwatch.runtime.ticker import CATCH_UP_LIMIT, DetectorTicker
from downwatch.store.pool import create_pool
from downwatch.store.signals import insert_signals

T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def reports(service: str, minute: datetime, n: int) -> list[Signal]:
    return [Signal(service=service, kind=Kind.REPORT, problem=Problem.LOGIN,
                   observed_at=minute + timedelta(seconds=i % 60), source="test",
                   external_id=f"{service}-{minute.isoformat()}-{i}", author_hash=f"a{i}")
            for i in range(n)]


async def test_reports_stored_before_a_crash_on_a_fresh_store_are_scored_after_it(
        fresh_database_url: str) -> None:
    pool = await create_pool(fresh_database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:  # the first process accepted these, then was killed
            await insert_signals(conn, reports("bt", T0, 3))
        restarted = DetectorTicker(pool, ["bt", "ee"], bucket_seconds=60)
        restarted.begin_at(T0 + 3 * MINUTE + timedelta(seconds=20))  # the next process starts later
        assert await restarted.advance(T0 + 5 * MINUTE) == 5
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT bucket, observed FROM scores WHERE service = 'bt' "
                                    "ORDER BY bucket")
        assert [r["bucket"] for r in rows] == [T0 + i * MINUTE for i in range(5)]
        assert rows[0]["observed"] == 3.0
    finally:
        await pool.close()


async def test_the_catch_up_on_a_fresh_store_reaches_back_at_most_a_day(fresh_database_url: str) -> None:
    pool = await create_pool(fresh_database_url, min_size=1, max_size=2)
    begin = T0 + 10 * MINUTE
    try:
        async with pool.acquire() as conn:
            await insert_signals(conn, reports("bt", T0 - timedelta(days=3), 2))
            await insert_signals(conn, reports("bt", T0, 2))
        ticker = DetectorTicker(pool, ["bt"], bucket_seconds=60)
        ticker.begin_at(begin)
        scored = await ticker.advance(begin + MINUTE)
        assert scored == CATCH_UP_LIMIT // MINUTE + 1  # from begin - 1 day, not from 3 days back
        async with pool.acquire() as conn:
            first = await conn.fetchval("SELECT min(bucket) FROM scores")
            at_t0 = await conn.fetchval("SELECT observed FROM scores WHERE bucket = $1", T0)
        assert first == T0  # scores begin where the service first has counts inside the day
        assert at_t0 == 2.0
    finally:
        await pool.close()
