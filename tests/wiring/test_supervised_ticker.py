"""The supervised ticker: it follows the live catalog, sets aside what it cannot score, and a tick
whose write fails (PostgreSQL restarted mid-write, a real server of the test's own) is retried from
the store's last committed state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

import downwatch.runtime.ticker as ticker_module
from downwatch.records import Kind, Problem, Signal
from downwatch.runtime.ticker import DetectorTicker
from downwatch.store.databases import create_migrated_database
from downwatch.store.detector_output import TickOutput
from downwatch.store.pool import create_pool
from downwatch.store.signals import insert_signals
from tests.e2e.own_postgres import OwnPostgres

T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)
HOURS = 3


def reports(service: str, minute: datetime, n: int, tag: str = "") -> list[Signal]:
    return [Signal(service=service, kind=Kind.REPORT, problem=Problem.LOGIN,
                   observed_at=minute + timedelta(seconds=i % 60), source="test",
                   external_id=f"{service}-{tag}{minute.isoformat()}-{i}", author_hash=f"a{tag}{i}")
            for i in range(n)]


async def fill(pool: asyncpg.Pool, services: list[str], start: datetime, minutes: int) -> None:
    async with pool.acquire() as conn:
        for minute in range(minutes):
            for service in services:
                at = start + timedelta(minutes=minute)
                await insert_signals(conn, reports(service, at, 1 + minute % 3))


async def scored_rows(pool: asyncpg.Pool) -> dict[str, tuple[int, int]]:
    """Service -> (score rows, distinct buckets): equal when no bucket was written twice."""
    rows = await pool.fetch("SELECT service, count(*) AS n, count(DISTINCT bucket) AS b FROM scores "
                            "GROUP BY service")
    return {row["service"]: (row["n"], row["b"]) for row in rows}


@pytest.fixture
async def pool(fresh_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    opened = await create_pool(fresh_database_url, min_size=1, max_size=3)
    try:
        yield opened
    finally:
        await opened.close()


async def test_a_service_outside_the_catalog_is_set_aside_and_scored_once_it_joins(
        pool: asyncpg.Pool) -> None:
    start = T0 - timedelta(hours=HOURS)
    await fill(pool, ["bt", "fuzz-b"], start, HOURS * 60)
    ticker = DetectorTicker(pool, ["bt"], bucket_seconds=60)
    await ticker.restore(start=start)
    assert await ticker.advance(T0) == HOURS * 60  # counts for fuzz-b do not stop bt (was KeyError)
    assert "fuzz-b" in ticker.health.ignored and ticker.health.consecutive_failures == 0
    assert await scored_rows(pool) == {"bt": (HOURS * 60, HOURS * 60)}

    assert ticker.set_services(["bt", "fuzz-b"])  # an admin added it
    await fill(pool, ["bt", "fuzz-b"], T0, 10)
    assert await ticker.advance(T0 + timedelta(minutes=10)) == 10
    assert ticker.health.ignored == {}
    assert set(ticker.verdicts()) == {"bt", "fuzz-b"}
    rows = await scored_rows(pool)
    assert rows["fuzz-b"] == (10, 10) and rows["bt"] == (HOURS * 60 + 10, HOURS * 60 + 10)

    restarted = DetectorTicker(pool, ["bt", "fuzz-b"], bucket_seconds=60)
    await restarted.restore()
    await fill(pool, ["bt", "fuzz-b"], T0 + timedelta(minutes=10), 5)
    assert await restarted.advance(T0 + timedelta(minutes=15)) == 5
    assert restarted.set_services(["bt"])  # removed again: its stored state no longer matters
    assert await restarted.advance(T0 + timedelta(minutes=16)) == 1
    assert set(restarted.verdicts()) == {"bt"}


async def test_an_unscorable_observation_is_set_aside_while_others_keep_their_verdicts(
        pool: asyncpg.Pool) -> None:
    start = T0 - timedelta(hours=HOURS)
    await fill(pool, ["bt", "ee"], start, HOURS * 60)
    bad_bucket = T0 - timedelta(minutes=5)
    await pool.execute("UPDATE counts SET weight = 'NaN', kind = 'post' WHERE service = 'ee' AND bucket = $1",
                       bad_bucket)
    ticker = DetectorTicker(pool, ["bt", "ee"], bucket_seconds=60)
    await ticker.restore(start=start)
    assert await ticker.advance(T0) == HOURS * 60
    ok, details = ticker.health.check(T0)
    assert ok and details["isolated"]["ee"]["bucket"] == bad_bucket
    assert "posts = nan" in details["isolated"]["ee"]["reason"]
    verdicts = ticker.verdicts()
    assert verdicts["ee"]["bucket"] is not None and verdicts["ee"]["bucket"] == verdicts["bt"]["bucket"]
    assert await scored_rows(pool) == {"bt": (HOURS * 60, HOURS * 60), "ee": (HOURS * 60, HOURS * 60)}


async def test_a_bucket_the_detector_raises_on_is_skipped_on_the_retry(
        pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    start = T0 - timedelta(hours=1)
    await fill(pool, ["bt", "ee"], start, 60)
    poison = T0 - timedelta(minutes=20)
    ticker = DetectorTicker(pool, ["bt", "ee"], bucket_seconds=60)
    await ticker.restore(start=start)
    real_update = ticker.detector.update

    def update(self: Any, bucket: datetime, observations: Any, now: Any = None) -> Any:
        if bucket == poison and observations:
            raise ValueError("poisoned input")
        return real_update.__func__(self, bucket, observations, now)  # type: ignore[attr-defined]

    monkeypatch.setattr(ticker_module.LiveDetector, "update", update)
    with pytest.raises(ticker_module.BucketFailed):
        await ticker.advance(T0)
    assert ticker.health.consecutive_failures == 1 and "poisoned input" in str(ticker.health.last_error)
    assert await ticker.advance(T0) == 60
    assert ticker.health.skipped_buckets_total == 1 and ticker.health.consecutive_failures == 0
    assert await scored_rows(pool) == {"bt": (60, 60), "ee": (60, 60)}


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    with OwnPostgres() as server:
        yield server


async def test_a_postgres_restart_during_the_write_is_retried_from_the_stored_state(
        own_postgres: OwnPostgres, monkeypatch: pytest.MonkeyPatch) -> None:
    dsn = await create_migrated_database(own_postgres.admin_dsn, "restart_mid_write")
    pool = await create_pool(dsn, min_size=1, max_size=3)
    try:
        start = T0 - timedelta(hours=HOURS)
        await fill(pool, ["bt", "ee"], start, HOURS * 60)
        ticker = DetectorTicker(pool, ["bt", "ee"], bucket_seconds=60)
        await ticker.restore(start=start)
        assert await ticker.advance(T0 - timedelta(minutes=30)) == HOURS * 60 - 30
        stored_before = await scored_rows(pool)
        real_write = ticker_module.write_tick
        restarts: list[int] = []

        async def write_during_a_restart(conn: asyncpg.Connection, out: TickOutput) -> None:
            if not restarts:
                restarts.append(len(out.scores))
                own_postgres.restart("immediate")  # the server goes away under the tick's connection
            await real_write(conn, out)

        monkeypatch.setattr(ticker_module, "write_tick", write_during_a_restart)
        with pytest.raises((asyncpg.InterfaceError, OSError, asyncpg.PostgresError)):
            await ticker.advance(T0)
        assert restarts and ticker.health.consecutive_failures == 1
        assert await scored_rows(pool) == stored_before  # nothing of the failed tick was written

        assert await ticker.advance(T0) == 30  # was: InputError "bucket ... is not after the last one"
        assert ticker.health.consecutive_failures == 0 and ticker.health.restores_total == 2
        assert await scored_rows(pool) == {"bt": (HOURS * 60, HOURS * 60), "ee": (HOURS * 60, HOURS * 60)}

        replay = DetectorTicker(pool, ["bt", "ee"], bucket_seconds=60)
        await replay.restore()
        assert replay.last_bucket == T0 - timedelta(minutes=1)
    finally:
        await pool.close()
