"""The runner against fake upstreams and a real PostgreSQL: atomic batches, cursors, back-off, health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from downwatch.catalog import load_catalog
from downwatch.store.cursors import load_cursor
from downwatch.store.health import read_health, set_paused
from downwatch.store.pool import create_pool
from ingest.runner import SourceRunner
from ingest.sources.backoff import Backoff
from ingest.sources.bluesky import JetstreamSource
from ingest.sources.replay import ReplaySource
from ingest.sources.routing import default_pipeline
from ingest.sources.statuspage import StatuspageSource
from ingest.sources.structured import StructuredSignals
from tests.api.test_store_watch import end_idle_connection, relayed_pool
from tests.fakes.jetstream import FakeJetstream, post_event
from tests.fakes.server import serving
from tests.fakes.statuspage import FakeStatusHost

UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
FAST = Backoff(base=0.05, cap=0.2)


@pytest.fixture
async def pool(fresh_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await create_pool(fresh_database_url, min_size=1, max_size=3)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
async def status_host() -> AsyncIterator[tuple[FakeStatusHost, str]]:
    host = FakeStatusHost(summary=(UPSTREAM / "statuspage_summary.json").read_bytes())
    async with serving(host.app()) as url:
        yield host, url


async def signal_ids(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT external_id FROM signals ORDER BY external_id")
    return [row["external_id"] for row in rows]


async def health_of(pool: asyncpg.Pool | asyncpg.Connection, name: str) -> dict[str, object]:
    return next((row for row in await read_health(pool) if row["source"] == name), {})


async def test_a_batch_is_stored_once_with_its_cursor_and_health(
        pool: asyncpg.Pool, status_host: tuple[FakeStatusHost, str]) -> None:
    _, url = status_host
    runner = SourceRunner(StatuspageSource(url, "github", name="statuspage:github"), StructuredSignals(b"k"),
                          pool, backoff=FAST)
    try:
        first = await runner.run_once()
        again = await runner.run_once()
    finally:
        await runner.close()
    # the page-wide reading plus two incident updates, stored once however often the page is polled
    assert (first.fetched, first.stored, again.fetched, again.stored) == (3, 3, 3, 0)
    assert await signal_ids(pool) == ["srhpyqt94yxb:indicator:major:2024-11-25T08:40:12.345Z",
                                      "srhpyqt94yxb:p5k8r7mq2x1z:u1", "srhpyqt94yxb:p5k8r7mq2x1z:u2"]
    assert await load_cursor(pool, "statuspage:github") == {}
    health = await health_of(pool, "statuspage:github")
    assert health["items_total"] == 6 and health["errors_total"] == 0 and health["lag_seconds"] is not None
    counted = await pool.fetchval("SELECT sum(n) FROM counts WHERE service = 'github' AND kind = 'status'")
    assert counted == 3


async def test_retry_after_is_honoured_and_errors_are_counted(
        pool: asyncpg.Pool, status_host: tuple[FakeStatusHost, str]) -> None:
    host, url = status_host
    host.faults.retry_after = 0.6
    host.faults.queue("summary", "429", "500", "html")
    source = StatuspageSource(url, "github", name="sp", poll_seconds=30)
    runner = SourceRunner(source, StructuredSignals(b"k"), pool, backoff=FAST)
    waits: list[float] = []

    async def recorded_wait(stop: asyncio.Event, seconds: float) -> None:
        waits.append(seconds)  # the retries' waits are recorded, not slept; the poll wait is real
        await asyncio.sleep(0) if seconds < source.poll_seconds else await stop.wait()

    runner._wait = recorded_wait  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        for _ in range(200):
            if await signal_ids(pool):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await runner.close()
    assert host.faults.served["summary"] == ["429", "500", "html", "ok"]
    # after the 429 it waited at least what Retry-After asked for (plus at most 10% jitter);
    # the other two failures backed off exponentially within FAST's cap; then the poll interval
    assert 0.6 <= waits[0] <= 0.66
    assert all(0 < wait <= FAST.cap for wait in waits[1:3])
    assert waits[3:] == [source.poll_seconds]
    assert len(await signal_ids(pool)) == 3
    health = await health_of(pool, "sp")
    assert health["errors_total"] == 3 and health["last_success_at"] is not None
    assert "MalformedPayload" in str(health["last_error"])


async def test_malformed_items_are_skipped_counted_and_the_rest_stored(pool: asyncpg.Pool,
                                                                        tmp_path: Path) -> None:
    recorded = tmp_path / "reports.jsonl"
    lines = [f'{{"source": "report", "external_id": "r{i}", "observed_at": "2024-11-25T08:00:0{i}Z", '
             f'"service": "bt", "problem": "login", "kind": "report"}}' for i in range(5)]
    lines.insert(2, '{"external_id": "broken"')
    recorded.write_text("\n".join(lines) + "\n")
    runner = SourceRunner(ReplaySource(recorded, batch_size=3), StructuredSignals(b"k"), pool, backoff=FAST)
    outcomes = [await runner.run_once(), await runner.run_once()]
    assert [(o.fetched, o.skipped, o.more) for o in outcomes] == [(2, 1, True), (3, 0, False)]
    assert await signal_ids(pool) == [f"r{i}" for i in range(5)]
    assert await load_cursor(pool, "replay") == {"delivered": 6}
    health = await health_of(pool, "replay")
    assert health["errors_total"] == 1 and "skipped 1 malformed item(s)" in str(health["last_error"])


async def test_a_restarted_runner_resumes_from_the_stored_cursor(pool: asyncpg.Pool, tmp_path: Path) -> None:
    recorded = tmp_path / "reports.jsonl"
    recorded.write_text("".join(
        f'{{"source": "report", "external_id": "r{i}", "observed_at": "2024-11-25T08:00:00Z", '
        f'"service": "bt", "problem": "login", "kind": "report"}}\n' for i in range(10)))
    first = SourceRunner(ReplaySource(recorded, batch_size=4), StructuredSignals(b"k"), pool)
    await first.run_once()
    second = SourceRunner(ReplaySource(recorded, batch_size=4), StructuredSignals(b"k"), pool)
    outcomes = [await second.run_once(), await second.run_once()]
    assert [o.stored for o in outcomes] == [4, 2]
    assert len(await signal_ids(pool)) == 10


async def test_a_batch_the_store_refused_is_not_half_written_and_is_stored_later(pool: asyncpg.Pool) -> None:
    events = [post_event(i, f"is Netflix down? can't log in ({i})") for i in range(30)]
    jetstream = FakeJetstream(events=list(events))
    async with serving(jetstream.app()) as url:
        source = JetstreamSource(url.replace("http", "ws") + "/subscribe", batch_seconds=0.3, idle_timeout=1)
        runner = SourceRunner(source, default_pipeline(load_catalog(), "k"), pool)
        try:
            await pool.execute("ALTER TABLE ingest_cursors RENAME TO ingest_cursors_away")
            with pytest.raises(asyncpg.UndefinedTableError):
                await runner.run_once()
            assert await signal_ids(pool) == []  # the signals rolled back with the cursor
            await pool.execute("ALTER TABLE ingest_cursors_away RENAME TO ingest_cursors")
            outcome = await runner.run_once()  # the kept batch, not a new fetch: a stream can't resend it
        finally:
            await runner.close()
    assert outcome.stored == 30 and len(await signal_ids(pool)) == 30
    assert len(jetstream.connections) == 1
    assert await load_cursor(pool, "bluesky") == {"time_us": events[-1]["time_us"]}


async def test_a_runner_outlives_an_open_store_circuit_and_stores_its_batch_after(
        pool: asyncpg.Pool, fresh_database_url: str, status_host: tuple[FakeStatusHost, str]) -> None:
    _, url = status_host
    runner = SourceRunner(StatuspageSource(url, "github", name="statuspage:github"), StructuredSignals(b"k"),
                          pool, backoff=FAST)
    breaker = pool.breaker
    breaker.open_seconds = 0.5
    for _ in range(breaker.failures_to_open):  # the store timed out twice: every acquire is refused
        breaker.outcome(TimeoutError(), trial=False)
    watcher = await asyncpg.connect(fresh_database_url)  # beside the pool, so never refused itself
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        stored = 0
        for _ in range(400):
            stored = await watcher.fetchval("SELECT count(*) FROM signals")
            if stored == 3 or task.done():
                break
            await asyncio.sleep(0.05)
        assert not task.done(), f"the runner died while the circuit was open: {task.exception()!r}"
        assert stored == 3
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await runner.close()
        await watcher.close()
    assert breaker.rejected_total > 0


async def test_a_paused_source_is_not_fetched(pool: asyncpg.Pool,
                                              status_host: tuple[FakeStatusHost, str]) -> None:
    host, url = status_host
    runner = SourceRunner(StatuspageSource(url, "github", name="sp", poll_seconds=0.05),
                          StructuredSignals(b"k"), pool, backoff=FAST)
    await set_paused(pool, "sp", True)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 5)
    await runner.close()
    assert host.requests == [] and await signal_ids(pool) == []


async def test_a_connection_the_server_ended_is_a_store_failure_to_the_runner(
        fresh_database_url: str, status_host: tuple[FakeStatusHost, str],
        caplog: pytest.LogCaptureFixture) -> None:
    """A statement on a connection PostgreSQL ended while it was idle (asyncpg's InternalClientError,
    or InterfaceError when the server goes away mid-statement) is the store failing: one warning
    line, health recorded, the runner lives on and stores its batch. Before: an "unexpected
    failure" with a traceback, and the same error from recording it ended the runner."""
    _, url = status_host
    async with relayed_pool(fresh_database_url) as (relay, pool):
        await end_idle_connection(fresh_database_url, pool, relay)
        runner = SourceRunner(StatuspageSource(url, "github", name="statuspage:relayed"),
                              StructuredSignals(b"k"), pool, backoff=FAST)
        relay.hold = False
        watcher = await asyncpg.connect(fresh_database_url)  # beside the pool: the runner meets the ended one
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            health: dict[str, object] = {}
            for _ in range(200):
                health = await health_of(watcher, "statuspage:relayed")
                if health.get("items_total") or task.done():
                    break
                await asyncio.sleep(0.05)
            assert not task.done(), f"the runner died: {task.exception()!r}"
            assert health.get("items_total") and health.get("errors_total") == 1, health
            assert "another operation" in str(health.get("last_error")), health
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await runner.close()
            await watcher.close()
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert any("store unavailable (InternalClientError" in r.getMessage() or
               "store unavailable (cannot switch" in r.getMessage() for r in caplog.records), caplog.text
