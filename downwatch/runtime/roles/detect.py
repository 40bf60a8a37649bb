"""The detect role: workers that each own whole partitions and score them each tick.

Ownership is a PostgreSQL advisory lock per partition (``downwatch.store.detector_lock``) held on the
worker's own connection: a worker takes free partitions up to its fair share among the live workers
(and ``detector_max_partitions``), giving one back per tick when a worker joins; one that is killed
(``kill -9``) loses its locks with its connection, and the others take them over on their next tick,
restoring each partition from its checkpoint in the store. Because the checkpoint is
written in the same transaction as the tick's scores, a replacement scores exactly the buckets that
were not durably scored — none lost, none counted twice.

A bucket is scored only once the write role has stored everything published before it closed (the
writer's durable consumer has nothing pending): the detector never scores a half-written bucket.
Each tick's verdicts go to the ``verdicts`` KV bucket, which every API process watches: the chunks
holding a verdict whose content changed, then the partition's stamp (``verdict_chunks``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web
from nats.js.errors import NotFoundError

from api.board import VerdictBoard
from api.keys import BOARD, CATALOG, HEALTH_CHECKS, METRICS, POOL, SETTINGS
from api.metrics import Gauge
from downwatch.clock import Clock, WallClock
from downwatch.config import Settings
from downwatch.runtime.bus.connection import Bus
from downwatch.runtime.bus.names import STREAM, WRITER_DURABLE
from downwatch.runtime.liveness import WatchedSource, alive_kinds, watched
from downwatch.runtime.roles.partition_ticker import PartitionTicker, VerdictUpdate
from downwatch.runtime.roles.verdict_chunks import Stamp, encode_chunks, encode_stamp, layout, stamp_key
from downwatch.runtime.supervision import DetectorHealth, one_line
from downwatch.runtime.wiring import CleanupContext, task_context
from downwatch.store.detector_lock import (
    held_partitions,
    live_workers,
    register_worker,
    try_lock_partition,
    unlock_partition,
)
from downwatch.store.health import read_health
from downwatch.store.pool import connect
from downwatch.store.services import read_admin_slugs
from ingest.sources.registry import build_sources

log = logging.getLogger(__name__)

STARTUP_TICKS = 5
MIN_WAIT_SECONDS = 0.05
DUE_MARGIN_SECONDS = 0.02


@dataclass(slots=True)
class DetectState:
    """What ``/healthz`` and ``/metrics`` show of a worker: partitions, lag, takeovers."""

    owned: dict[int, DetectorHealth] = field(default_factory=dict)
    watermark: datetime | None = None
    takeovers: int = 0
    released: int = 0
    lost: int = 0
    taken_at: dict[int, datetime] = field(default_factory=dict)
    """When each owned partition was taken; its health's first restore says when it was rebuilt."""
    last_error: str | None = None
    published_chunks: int = 0
    last_scoring_seconds: float | None = None
    """How long the last tick that scored a bucket took, from its start to its last KV put."""

    def lag_seconds(self, now: datetime) -> float | None:
        scored = [h.last_scored_bucket for h in self.owned.values() if h.last_scored_bucket is not None]
        return (now - min(scored)).total_seconds() if scored else None


class DetectWorker:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, bus: Bus, services: list[str], *,
                 clock: Clock | None = None, board: VerdictBoard | None = None,
                 sources: Sequence[WatchedSource] = ()) -> None:
        self._settings = settings
        self._sources = list(sources)
        self._pool = pool
        self._bus = bus
        self._catalog_services = services
        self._clock = clock or WallClock()
        self._board = board
        self._layouts: dict[int, list[str]] = {}
        """Each partition's chunk layout as last published (a new one puts every chunk again)."""
        self._lock_conn: asyncpg.Connection | None = None
        self.tickers: dict[int, PartitionTicker] = {}
        self.state = DetectState()
        self.started_at = self._clock.now()
        # Late signals get a tick; and a report accepted just before a bucket closed may reach the
        # stream up to the publish timeout later (the writer's watermark cannot know of it before).
        self._grace = timedelta(seconds=max(settings.tick_seconds, settings.nats_ack_timeout_seconds))
        self.worker_id = secrets.randbits(31)
        self.live = 1
        self.ticks = 0

    @property
    def capacity(self) -> int:
        """This worker's fair share of the partitions among the live workers (and at most the limit)."""
        partitions = self._settings.nats_partitions
        share = math.ceil(partitions / max(1, self.live))
        limit = self._settings.detector_max_partitions
        return share if limit == 0 else min(limit, share)

    async def _locks(self) -> asyncpg.Connection:
        if self._lock_conn is None or self._lock_conn.is_closed():
            if self.tickers:
                log.warning("detect: lost the lock connection; giving up partitions %s", sorted(self.tickers))
                self.state.lost += len(self.tickers)
                self.tickers.clear()
            assert self._settings.database_url
            self._lock_conn = await connect(self._settings.database_url)
            await register_worker(self._lock_conn, self.worker_id)
        return self._lock_conn

    async def claim(self) -> None:
        """Drop partitions whose lock is gone; give one back when over the fair share (a worker joined);
        take free ones up to it (a worker died or none owned them)."""
        conn = await self._locks()
        held = await held_partitions(conn)
        self.live = await live_workers(conn)
        for partition in [p for p in self.tickers if p not in held]:
            log.warning("detect: partition %d is no longer ours", partition)
            del self.tickers[partition]
            self.state.lost += 1
        if len(self.tickers) > self.capacity:
            partition = max(self.tickers)
            del self.tickers[partition]
            await unlock_partition(conn, partition)
            self.state.released += 1
            log.info("detect: gave partition %d back (%d live workers)", partition, self.live)
        # Workers starting together settle their shares gradually: one new partition a tick at first.
        room = self.capacity - len(self.tickers)
        if self.ticks < STARTUP_TICKS:
            room = min(room, 1)
        for partition in range(self._settings.nats_partitions):
            if room <= 0:
                break
            if partition in self.tickers or not await try_lock_partition(conn, partition):
                continue
            ticker = PartitionTicker(self._pool, partition, self._settings.nats_partitions,
                                     self._catalog_services, bucket_seconds=self._settings.bucket_seconds,
                                     health=DetectorHealth(tick_seconds=self._settings.tick_seconds,
                                                           bucket_seconds=self._settings.bucket_seconds,
                                                           started_at=self.started_at))
            ticker.begin_at(self.started_at)
            self.tickers[partition] = ticker
            self.state.taken_at[partition] = self._clock.now()
            self.state.takeovers += 1
            room -= 1
            log.info("detect: took partition %d (%d services)", partition, len(ticker.services))
        self.state.owned = {p: t.health for p, t in self.tickers.items()}

    async def writer_watermark(self, asked_at: datetime) -> datetime | None:
        """``asked_at`` when the writer has stored everything published so far, else the last such time."""
        try:
            info = await self._bus.js.consumer_info(STREAM, WRITER_DURABLE)
        except NotFoundError:  # no writer has started yet: nothing is known to be stored
            return self.state.watermark
        if info.num_pending == 0 and info.num_ack_pending == 0:
            self.state.watermark = asked_at
        return self.state.watermark

    def seconds_to_next_tick(self) -> float:
        """A tick from now, or sooner when the next bucket becomes due (its end plus the grace)."""
        bucket = self._settings.bucket_seconds
        now = self._clock.now().timestamp()
        due = (now - now % bucket) + bucket + self._grace.total_seconds()
        while due - bucket > now:  # the grace may reach past the current bucket's end
            due -= bucket
        return max(MIN_WAIT_SECONDS, min(self._settings.tick_seconds, due - now + DUE_MARGIN_SECONDS))

    async def _claim(self) -> None:
        try:
            await self.claim()
        except Exception as exc:  # unsure what this session still holds: drop it (and its locks)
            self._failed(exc)
            if self._lock_conn is not None:
                self._lock_conn.terminate()
            raise

    async def tick(self) -> None:
        """Claim, then score each owned partition; between partitions claim again, so a partition
        orphaned by a dead worker is taken over (and scored) within this tick, not the next."""
        now = self._clock.now()
        self.ticks += 1
        await self._claim()
        try:
            services = [*self._catalog_services, *await read_admin_slugs(self._pool)]
            alive = None
            if self._sources:  # evidence from sources that stopped delivering makes verdicts unknown
                rows = await read_health(self._pool)
                last_success = {row["source"]: row["last_success_at"] for row in rows}
                alive = alive_kinds(self._sources, last_success, now, self.started_at)
            watermark = await self.writer_watermark(now)
        except Exception as exc:
            self._failed(exc)
            raise
        self.state.last_error = None
        if watermark is None:
            return
        until = min(now - self._grace, watermark)
        started = asyncio.get_running_loop().time()
        done: set[int] = set()
        updates: list[VerdictUpdate] = []
        while todo := sorted(set(self.tickers) - done):
            partition = todo[0]
            done.add(partition)
            ticker = self.tickers[partition]
            ticker.set_services(services)
            if alive is not None:
                ticker.alive = alive
            with contextlib.suppress(Exception):  # recorded (and logged once) in the ticker's health
                await ticker.advance(until, now=now)
            update = ticker.take_outbox()
            if update is not None:
                updates.append(update)
                try:
                    await self.publish(partition, update)
                except Exception as exc:  # NATS away: stored verdicts, published with the next bucket
                    self._layouts.pop(partition, None)
                    ticker.give_back(update)
                    self._failed(exc)
                else:
                    self.state.last_scoring_seconds = asyncio.get_running_loop().time() - started
            if self.ticks >= STARTUP_TICKS:  # (while starting, shares settle one partition a tick)
                await self._claim()
        if self._board is not None:  # this process's own board, once every partition is out
            for update in updates:
                self._board.publish(update.changed, update.at)
                self._board.restamp(update.bodies, update.bucket, update.updated_at, update.at)

    async def publish(self, partition: int, update: VerdictUpdate) -> None:
        """To the ``verdicts`` KV bucket, what the API processes wait for: the chunks holding a changed
        verdict (every chunk when the partition's names changed), then the partition's stamp once they
        are stored (``tick`` updates this process's own board after the last partition's put)."""
        kv = await self._bus.verdicts()
        names = layout(update.bodies)
        same_layout = self._layouts.get(partition) == names
        chunks = encode_chunks(partition, update.bodies, update.at, update.changed if same_layout else None)
        await asyncio.gather(*(kv.put(key, value) for key, value in chunks))
        self._layouts[partition] = names
        await kv.put(stamp_key(partition), encode_stamp(Stamp(partition, update.bucket, update.updated_at,
                                                              update.at)))
        self.state.published_chunks += len(chunks)

    def _failed(self, exc: BaseException) -> None:
        text = one_line(exc)
        if text != self.state.last_error:
            log.warning("detect: %s", text)
        self.state.last_error = text

    def check(self) -> tuple[bool, dict[str, Any]]:
        now = self._clock.now()
        partitions = {str(p): {"ok": h.check(now)[0], "restored": h.restores_total > 0,
                               "taken_at": self.state.taken_at[p].isoformat() if p in self.state.taken_at
                               else None,
                               "last_scored_bucket": h.last_scored_bucket.isoformat()
                               if h.last_scored_bucket else None}
                      for p, h in sorted(self.state.owned.items())}
        ok = self.state.last_error is None and all(p["ok"] for p in partitions.values())
        details: dict[str, Any] = {"state": "ok" if ok else "failing", "partitions": partitions,
                                   "capacity": self.capacity, "live_workers": self.live,
                                   "last_scoring_seconds": self.state.last_scoring_seconds}
        if self.state.last_error:
            details["last_error"] = self.state.last_error
        return ok, details

    def metrics(self) -> dict[tuple[str, ...], float]:
        return {("partitions",): len(self.tickers), ("takeovers",): self.state.takeovers,
                ("released",): self.state.released, ("lost",): self.state.lost,
                ("live_workers",): self.live, ("published_chunks",): self.state.published_chunks}

    async def close(self) -> None:
        if self._lock_conn is not None and not self._lock_conn.is_closed():
            with contextlib.suppress(Exception):
                await self._lock_conn.close()


def detect_context() -> CleanupContext:
    async def start(app: web.Application, stop: asyncio.Event) -> None:
        from downwatch.runtime.roles.bus_context import BUS

        settings = app[SETTINGS]
        catalog = app[CATALOG]
        sources = watched(build_sources(settings, catalog)) if settings.sources else []
        worker = DetectWorker(settings, app[POOL], app[BUS], list(catalog.slugs),
                              board=app[BOARD], sources=sources)
        app[HEALTH_CHECKS].add("detector", worker.check)
        app[METRICS].add_gauge(Gauge("downwatch_detect", "The detect role: partitions owned, takeovers, "
                                     "partitions lost, verdict chunks published.", ("counter",),
                                     worker.metrics))
        app[METRICS].add_gauge(Gauge("downwatch_role_lag_seconds", "How far each role of this process is "
                                     "behind (detect: age of the oldest partition's last scored bucket).",
                                     ("role",), lambda: _lag(worker)))
        try:
            while not stop.is_set():
                with contextlib.suppress(Exception):  # logged once per streak by the worker
                    await worker.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), worker.seconds_to_next_tick())
        finally:
            await worker.close()

    return task_context("detect", start)


def _lag(worker: DetectWorker) -> dict[tuple[str, ...], float]:
    lag = worker.state.lag_seconds(worker._clock.now())
    return {} if lag is None else {("detect",): lag}
