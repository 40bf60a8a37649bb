"""Runs one source: fetch → parse → pipeline → store, with checkpoints, back-off and health.

The signals of a batch and the cursor after it commit in one transaction, so a kill at any moment
loses nothing (the uncommitted batch is fetched again from the old cursor) and doubles nothing
(signals are unique on source + external id). A batch the store refused is kept and stored again
before anything new is fetched, because a stream cannot always be asked for it twice.

With ``publish`` (an ingest role under NATS, ``downwatch.runtime.roles``) the signals go to the
stream instead, and the cursor is saved only once JetStream acknowledged all of them: a kill before
that publishes the batch again, which JetStream and the store's keys both count once.

The processes that run runners are composed in ``downwatch.runtime`` (`downwatch serve`, and
`downwatch serve --role ingest [--only NAME ...]` for sources alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import asyncpg

from downwatch.records import Observation, Signal
from downwatch.store.cursors import load_cursor, save_cursor
from downwatch.store.guard import STORE_UNAVAILABLE
from downwatch.store.health import read_health, record_error, record_success
from downwatch.store.signals import NO_PARENTS, insert_signals
from ingest.sources.backoff import Backoff
from ingest.sources.base import Cursor, FetchResult, Source, UpstreamError

log = logging.getLogger(__name__)
PAUSED_CHECK_SECONDS = 5.0


Publish = Callable[[Sequence[Signal]], Awaitable[int]]
"""Publishes a batch of signals durably elsewhere; returns how many were new (raises when not all
were acknowledged)."""


class SignalPipeline(Protocol):
    """What turns observations into signals (``ingest.text.pipeline.TextPipeline`` and friends)."""

    def signals(self, observations: Sequence[Observation]) -> list[Signal]: ...


@dataclass(slots=True)
class Batch:
    """A fetched batch on its way to the store."""

    cursor: Cursor
    more: bool
    observations: list[Observation]
    signals: list[Signal]
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    fetched: int
    stored: int
    skipped: int
    more: bool


def lag_seconds(observations: Sequence[Observation], now: datetime) -> float | None:
    """How far behind real time the newest observation of a batch is."""
    if not observations:
        return None
    newest = max(o.observed_at for o in observations)
    return max((now - newest).total_seconds(), 0.0)


class SourceRunner:
    def __init__(self, source: Source, pipeline: SignalPipeline, pool: asyncpg.Pool, *,
                 backoff: Backoff | None = None, bucket_seconds: int = 60,
                 publish: Publish | None = None, parents: Mapping[str, str] = NO_PARENTS) -> None:
        self.source = source
        self._parents = parents
        self._publish = publish
        self._pipeline = pipeline
        self._pool = pool
        self._backoff = backoff or Backoff()
        self._bucket_seconds = bucket_seconds
        self._cursor: Cursor | None = None
        self._cursor_loaded = False
        self._pending: Batch | None = None
        self.last_success_at: datetime | None = None
        self.last_batch_lag_seconds: float | None = None
        """How far behind real time the newest item of the last stored batch was (None: it was empty)."""

    async def _load_cursor(self) -> Cursor | None:
        if not self._cursor_loaded:
            self._cursor = await load_cursor(self._pool, self.source.name)
            self._cursor_loaded = True
        return self._cursor

    def _prepare(self, result: FetchResult) -> Batch:
        parsed = self.source.parse(result.payload)
        signals = self._pipeline.signals(parsed.observations) if parsed.observations else []
        return Batch(result.cursor, result.more, parsed.observations, signals, list(parsed.skipped))

    async def _store(self, batch: Batch) -> int:
        if self._publish is not None:
            stored = await self._publish(batch.signals) if batch.signals else 0
            async with self._pool.acquire() as conn:
                await save_cursor(conn, self.source.name, batch.cursor)
            self._cursor = batch.cursor
            return stored
        async with self._pool.acquire() as conn, conn.transaction():
            stored = await insert_signals(conn, batch.signals, bucket_seconds=self._bucket_seconds,
                                          parents=self._parents)
            await save_cursor(conn, self.source.name, batch.cursor)
        self._cursor = batch.cursor
        return stored

    async def run_once(self) -> BatchOutcome:
        """Fetch and store one batch (or the batch the store refused last time)."""
        if self._pending is None:
            cursor = await self._load_cursor()
            self._pending = self._prepare(await self.source.fetch(cursor))
        batch = self._pending
        stored = await self._store(batch)
        self._pending = None
        name = self.source.name
        self.last_success_at = datetime.now(UTC)
        self.last_batch_lag_seconds = lag_seconds(batch.observations, self.last_success_at)
        await record_success(self._pool, name, len(batch.observations), self.last_batch_lag_seconds)
        if batch.skipped:
            summary = f"skipped {len(batch.skipped)} malformed item(s); first: {batch.skipped[0]}"
            log.warning("source %s: %s", name, summary)
            await record_error(self._pool, name, summary)
        return BatchOutcome(len(batch.observations), stored, len(batch.skipped), batch.more)

    async def paused(self) -> bool:
        """Whether an operator paused this source (``POST /v1/admin/sources/NAME/pause``)."""
        rows = await read_health(self._pool)
        return any(row["source"] == self.source.name and row["paused"] for row in rows)

    async def _note_failure(self, message: str) -> None:
        try:
            await record_error(self._pool, self.source.name, message)
        except STORE_UNAVAILABLE as exc:
            # The store that just failed may still be failing (circuit open): the runner must live on.
            log.warning("source %s: cannot record health (%s)", self.source.name, exc)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set. Failures back off and are recorded in health; none escape."""
        attempt = 0
        while not stop.is_set():
            wait = self.source.poll_seconds
            try:
                if await self.paused():
                    await self._wait(stop, PAUSED_CHECK_SECONDS)
                    continue
                outcome = await self.run_once()
                attempt = 0
                if outcome.more:
                    wait = 0.0
            except UpstreamError as exc:
                attempt += 1
                wait = self._backoff.delay(attempt, exc.retry_after)
                log.warning("source %s: %s (%s; retry %d in %.1f s)", self.source.name, exc,
                            type(exc).__name__, attempt, wait)
                await self._note_failure(f"{type(exc).__name__}: {exc}")
            except STORE_UNAVAILABLE as exc:
                attempt += 1
                wait = self._backoff.delay(attempt)
                log.warning("source %s: store unavailable (%s); retry %d in %.1f s",
                            self.source.name, exc, attempt, wait)
                await self._note_failure(f"store: {exc}")
            except Exception as exc:
                attempt += 1
                wait = self._backoff.delay(attempt)
                self._pending = None
                log.exception("source %s: unexpected failure; retry %d in %.1f s",
                              self.source.name, attempt, wait)
                await self._note_failure(f"unexpected {type(exc).__name__}: {exc}")
            await self._wait(stop, wait)

    @staticmethod
    async def _wait(stop: asyncio.Event, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    async def close(self) -> None:
        await self.source.close()


async def run_sources(runners: Sequence[SourceRunner], stop: asyncio.Event) -> None:
    """Run every source until ``stop`` is set, then close them."""
    try:
        await asyncio.gather(*(runner.run(stop) for runner in runners))
    finally:
        for runner in runners:
            await runner.close()
