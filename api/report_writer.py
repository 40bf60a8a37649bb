"""Group commit for user reports: many concurrent requests, one transaction, then every answer.

Each request puts its signal on a writer's queue and awaits a future. A writer task takes
everything queued (up to a limit), stores it in one transaction with ``insert_signals`` and, only
after COMMIT, resolves each future with whether the report was counted (False: a retry of a stored
report, or the same identity — network or client token — already counted that service in this
window; see ``downwatch.store.count_claims``). Every accepted report is stored either way. A
request is routed to a writer by its report id, so one id is never in flight in two transactions
of this process at once.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg

from api.metrics import ApiMetrics
from downwatch.errors import StoreUnavailable
from downwatch.records import Signal
from downwatch.store.guard import is_store_failure
from downwatch.store.signals import NO_PARENTS, store_signals

log = logging.getLogger(__name__)

# Two writers creating the same day's partition, or locking the same count rows, can collide.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.DuplicateTableError, asyncpg.DeadlockDetectedError, asyncpg.SerializationError,
    asyncpg.UniqueViolationError)
TRANSIENT_RETRIES = 2


@dataclass(slots=True)
class PendingReport:
    signal: Signal
    done: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class ReportWriter:
    def __init__(self, pool: asyncpg.Pool, metrics: ApiMetrics, *, writers: int = 2,
                 batch_limit: int = 2000, bucket_seconds: int = 60, answer_timeout: float = 2.0,
                 parents: Mapping[str, str] = NO_PARENTS) -> None:
        self._pool = pool
        self._parents = parents
        self._answer_timeout = answer_timeout
        self._metrics = metrics
        self._batch_limit = batch_limit
        self._bucket_seconds = bucket_seconds
        self._queues: list[asyncio.Queue[PendingReport | None]] = [asyncio.Queue() for _ in range(writers)]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(queue), name=f"report-writer-{i}")
                       for i, queue in enumerate(self._queues)]

    async def stop(self) -> None:
        """Store everything already queued, then end the writer tasks."""
        for queue in self._queues:
            queue.put_nowait(None)
        await asyncio.gather(*self._tasks)

    async def submit(self, signal: Signal) -> bool:
        """Store the report; True when it was counted, False when it duplicates a stored one."""
        pending = PendingReport(signal)
        shard = zlib.crc32(signal.external_id.encode()) % len(self._queues)
        self._queues[shard].put_nowait(pending)
        try:
            return await asyncio.wait_for(asyncio.shield(pending.done), self._answer_timeout)
        except TimeoutError:
            # Not acknowledged, so not promised: it may still be stored, and a retry is not counted twice.
            raise StoreUnavailable("the store did not confirm the report in time; try again shortly",
                                   headers={"Retry-After": "2"}) from None

    async def _run(self, queue: asyncio.Queue[PendingReport | None]) -> None:
        stopping = False
        while not stopping:
            first = await queue.get()
            batch: list[PendingReport] = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
            while len(batch) < self._batch_limit and not queue.empty():
                item = queue.get_nowait()
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            if batch:
                await self._commit(batch)

    async def _store(self, signals: Sequence[Signal]) -> frozenset[str]:
        """Store the batch in one transaction (retried after a transient conflict); return the ids
        of the reports that count."""
        for attempt in range(TRANSIENT_RETRIES + 1):
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    stored = await store_signals(conn, signals, bucket_seconds=self._bucket_seconds,
                                                 parents=self._parents)
                return stored.counted
            except TRANSIENT_ERRORS as exc:
                if attempt == TRANSIENT_RETRIES:
                    raise
                log.warning("retrying a batch of %d reports after %s", len(signals), type(exc).__name__)
        raise AssertionError("unreachable")

    async def _commit(self, batch: Sequence[PendingReport]) -> None:
        signals = [pending.signal for pending in batch]
        try:
            counted_ids = await self._store(signals)
        except Exception as exc:
            if isinstance(exc, StoreUnavailable):  # the circuit is open: said once, by the breaker
                failure = exc
            else:
                if is_store_failure(exc):
                    log.warning("storing %d reports failed: %s", len(batch), type(exc).__name__)
                else:
                    log.exception("storing %d reports failed", len(batch))
                failure = StoreUnavailable("the report could not be stored; try again shortly",
                                           headers={"Retry-After": "5"})
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(failure)
                    pending.done.exception()  # retrieved: its request may have given up waiting
            return
        self._metrics.report_batches.observe(len(batch))
        answered: set[str] = set()
        for pending in batch:
            key = pending.signal.external_id
            counted = key in counted_ids and key not in answered
            answered.add(key)
            if not pending.done.done():
                pending.done.set_result(counted)
