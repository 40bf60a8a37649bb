"""The write role: a durable consumer group batching the SIGNALS stream into PostgreSQL.

Every writer process pulls from the same durable consumer (``writer``), so JetStream spreads the
messages among them. A batch is stored in one transaction with ``insert_signals`` (idempotent on
(source, external_id): ``ON CONFLICT DO NOTHING`` on the keys), and acknowledged only after COMMIT.
A writer killed between COMMIT and the acks, or a PostgreSQL that fails mid-batch, leads to a
redelivery that counts nothing twice: at-least-once delivery, exactly-once counting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import nats.errors
from aiohttp import web
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from api.keys import CATALOG, HEALTH_CHECKS, METRICS, SETTINGS
from api.metrics import Gauge
from downwatch.records import Signal
from downwatch.runtime.bus.codec import decode_signal
from downwatch.runtime.bus.connection import Bus
from downwatch.runtime.bus.names import STREAM, SUBJECT_PREFIX, WRITER_DURABLE
from downwatch.runtime.wiring import CleanupContext, task_context
from downwatch.store.pool import create_pool
from downwatch.store.signals import NO_PARENTS, insert_signals

log = logging.getLogger(__name__)

BATCH_LIMIT = 2000
FETCH_WAIT_SECONDS = 0.5
ACK_WAIT_SECONDS = 30.0
RETRY_SECONDS = 1.0


@dataclass(slots=True)
class WriterHealth:
    batches: int = 0
    stored: int = 0
    duplicates: int = 0
    failures: int = 0
    malformed: int = 0
    last_commit_at: datetime | None = None
    last_error: str | None = None
    pending: int = 0
    newest_stored_at: datetime | None = field(default=None)

    def lag_seconds(self, now: datetime) -> float | None:
        """Age of the newest signal stored (how far the store is behind what was published)."""
        if self.newest_stored_at is None:
            return None
        return max(0.0, (now - self.newest_stored_at).total_seconds())

    def check(self) -> tuple[bool, dict[str, Any]]:
        ok = self.last_error is None
        details: dict[str, Any] = {"state": "ok" if ok else "failing", "stored": self.stored,
                                   "pending": self.pending, "batches": self.batches}
        if self.last_error:
            details["last_error"] = self.last_error
        return ok, details

    def metrics(self) -> dict[tuple[str, ...], float]:
        return {("batches",): self.batches, ("stored",): self.stored, ("duplicates",): self.duplicates,
                ("failures",): self.failures, ("malformed",): self.malformed, ("pending",): self.pending}


def consumer_config() -> ConsumerConfig:
    return ConsumerConfig(durable_name=WRITER_DURABLE, ack_policy=AckPolicy.EXPLICIT,
                          deliver_policy=DeliverPolicy.ALL, ack_wait=ACK_WAIT_SECONDS,
                          max_ack_pending=4 * BATCH_LIMIT, filter_subject=f"{SUBJECT_PREFIX}.*")


class SignalWriter:
    def __init__(self, bus: Bus, pool: asyncpg.Pool, *, bucket_seconds: int,
                 batch_limit: int = BATCH_LIMIT, parents: Mapping[str, str] = NO_PARENTS) -> None:
        self._bus = bus
        self._parents = parents
        self._pool = pool
        self._bucket_seconds = bucket_seconds
        self._batch_limit = batch_limit
        self.health = WriterHealth()

    async def run(self, stop: asyncio.Event) -> None:
        subscription = None
        while not stop.is_set():
            try:
                if subscription is None:
                    subscription = await self._bus.js.pull_subscribe(
                        f"{SUBJECT_PREFIX}.*", durable=WRITER_DURABLE, stream=STREAM,
                        config=consumer_config())
                try:
                    messages = await subscription.fetch(self._batch_limit, timeout=FETCH_WAIT_SECONDS)
                except nats.errors.TimeoutError:
                    continue
                await self._store(messages, stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS away: the consumer is durable, pull again once it is back
                self._failed(exc, "pulling from NATS")
                subscription = None
                await _sleep(stop, RETRY_SECONDS)

    async def _store(self, messages: list[Msg], stop: asyncio.Event) -> None:
        signals: list[Signal] = []
        for msg in messages:
            try:
                signals.append(decode_signal(msg.data))
            except ValueError as exc:
                self.health.malformed += 1
                log.warning("writer: dropping a malformed message (%s)", exc)
                await msg.term()
        self.health.pending = int(messages[-1].metadata.num_pending) if messages else 0
        while signals:
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    stored = await insert_signals(conn, signals, bucket_seconds=self._bucket_seconds,
                                                  parents=self._parents)
                break
            except Exception as exc:  # the store failed: keep the batch (not acked), retry it
                self._failed(exc, "storing a batch")
                if stop.is_set():
                    return
                with contextlib.suppress(Exception):  # NATS away too: redelivered after ack_wait
                    for msg in messages:
                        await msg.in_progress()
                await _sleep(stop, RETRY_SECONDS)
        else:
            stored = 0
        for msg in messages:
            await msg.ack()
        self.health.batches += 1
        self.health.stored += stored
        self.health.duplicates += len(signals) - stored
        self.health.last_commit_at = datetime.now(UTC)
        if signals:
            self.health.newest_stored_at = max(s.observed_at for s in signals)
        if self.health.last_error is not None:
            log.warning("writer: pulling and storing work again")
        self.health.last_error = None

    def _failed(self, exc: BaseException, doing: str) -> None:
        self.health.failures += 1
        text = f"{doing}: {type(exc).__name__} {' '.join(str(exc).split())[:200]}".rstrip()
        if text != self.health.last_error:
            log.warning("writer: %s; retrying every %.0f s", text, RETRY_SECONDS)
        self.health.last_error = text


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def writer_context() -> CleanupContext:
    """Run a ``SignalWriter`` on the app's bus and pool; ``/healthz`` and ``/metrics`` show its lag."""

    async def start(app: web.Application, stop: asyncio.Event) -> None:
        from downwatch.runtime.roles.bus_context import BUS

        settings = app[SETTINGS]
        assert settings.database_url, "a role app has a store"
        # Its own pool: background work, whose statements may take the 60 s of a busy server (the
        # request pool's 2 s bound would turn a slow batch into a retry loop).
        pool = await create_pool(settings.database_url, min_size=1, max_size=2)
        writer = SignalWriter(app[BUS], pool, bucket_seconds=settings.bucket_seconds,
                              parents=app[CATALOG].parents())
        app[HEALTH_CHECKS].add("writer", writer.health.check)
        app[METRICS].add_gauge(Gauge("downwatch_writer", "The write role: batches, signals stored, "
                                     "duplicates, failures, malformed, messages pending in the stream.",
                                     ("counter",), writer.health.metrics))
        app[METRICS].add_gauge(Gauge("downwatch_role_lag_seconds", "How far each role of this process is "
                                     "behind (write: age of the newest stored signal).", ("role",),
                                     lambda: _lag(writer.health)))
        try:
            await writer.run(stop)
        finally:
            await pool.close()

    return task_context("writer", start)


def _lag(health: WriterHealth) -> dict[tuple[str, ...], float]:
    lag = health.lag_seconds(datetime.now(UTC))
    return {} if lag is None else {("write",): lag}
