"""The API role's board, fed by watching the ``verdicts`` KV bucket: no query per GET, no polling.

Every chunk and stamp a detector worker puts (``verdict_chunks``) arrives here; what arrives together
is applied to the board in one ``publish`` (the changed verdicts) and one ``restamp`` per partition
stamp (every other verdict of that partition, by the names its chunks carried). The watch is re-made
after NATS comes back. While no verdicts arrive — NATS away, or no detector scoring — the board keeps
answering what it has, but once a tick has passed without news the verdicts are stale: the
``verdicts`` health check fails and verdict answers carry ``Warning: 110 - "Response is Stale"``
(RFC 7234); so does a service's verdict when its own partition's stamp has not moved for that long
(its worker died and no other took the partition over yet). A service added through the
admin API of another process arrives with its first verdict (``CatalogLearner``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import nats.errors
from aiohttp import web

from api.app import _service_of as service_of
from api.keys import BOARD, HEALTH_CHECKS, METRICS, POOL, SETTINGS
from api.metrics import Gauge
from downwatch.runtime.bus.connection import Bus
from downwatch.runtime.roles.verdict_chunks import Stamp, decode_chunk, decode_stamp, is_stamp_key
from downwatch.runtime.wiring import CleanupContext, task_context
from downwatch.store.services import read_services

log = logging.getLogger(__name__)

STALE_WARNING = '110 - "Response is Stale"'
STALE_PATHS = ("/v1/services", "/v1/status", "/embed/", "/v1/stream")
SERVICE_PATH = "/v1/services/"
RETRY_SECONDS = 1.0
APPLY_EVERY_SECONDS = 0.05
GATHER_AT_MOST_SECONDS = 0.25
UNKNOWN_RETRY_SECONDS = 60.0


class VerdictWatch:
    """Applies the verdict chunks it sees to the board; knows whether they are stale."""

    def __init__(self, bus: Bus, publish: Any, *, tick_seconds: float, bucket_seconds: int,
                 learn: Callable[[list[str]], Awaitable[None]] | None = None, restamp: Any = None) -> None:
        self._bus = bus
        self._publish = publish
        self._restamp = restamp
        self._learn = learn
        self.tick_seconds = tick_seconds
        self.bucket_seconds = bucket_seconds
        self.started_at = datetime.now(UTC)
        self.last_update_at: datetime | None = None
        self.newest_tick_at: datetime | None = None
        self.chunks = 0
        self.stamps = 0
        self.malformed = 0
        self.watches = 0
        self.members: dict[int, set[str]] = {}
        """Each partition's services, as its chunks named them."""
        self._partition_of: dict[str, int] = {}
        self._stamped_at: dict[int, datetime] = {}
        """When each partition's verdicts were last applied (a chunk or a stamp)."""

    def stale(self, now: datetime | None = None, service: str | None = None) -> bool:
        """No verdicts within a tick beyond when the next ones were due (or NATS away for a tick); with
        ``service``, also when its partition's stamp has not moved for that long."""
        now = now or datetime.now(UTC)
        health = self._bus.health
        if not health.connected and (now - health.changed_at).total_seconds() > self.tick_seconds:
            return True
        heard = self.last_update_at or self.started_at
        if service is not None and (partition := self._partition_of.get(service)) is not None:
            heard = self._stamped_at.get(partition, heard)
        return (now - heard).total_seconds() > self.bucket_seconds + 2 * self.tick_seconds

    def lag(self) -> dict[tuple[str, ...], float]:
        if self.newest_tick_at is None:
            return {}
        return {("api",): max(0.0, (datetime.now(UTC) - self.newest_tick_at).total_seconds())}

    def check(self) -> tuple[bool, dict[str, Any]]:
        stale = self.stale()
        details: dict[str, Any] = {"state": "stale" if stale else "ok", "chunks": self.chunks,
                                   "last_update_at": self.last_update_at.isoformat()
                                   if self.last_update_at else None}
        return not stale, details

    def metrics(self) -> dict[tuple[str, ...], float]:
        now = datetime.now(UTC)
        age = (now - (self.last_update_at or self.started_at)).total_seconds()
        return {("chunks",): self.chunks, ("stamps",): self.stamps, ("malformed",): self.malformed,
                ("watches",): self.watches,
                ("seconds_since_update",): age, ("stale",): float(self.stale(now))}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            watcher = None
            try:
                kv = await self._bus.verdicts()
                watcher = await kv.watchall()
                self.watches += 1
                reconnects = self._bus.health.reconnects
                await self._follow(watcher, stop, reconnects)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("verdict watch: %s", type(exc).__name__)
            finally:
                if watcher is not None:
                    with contextlib.suppress(Exception):
                        await watcher.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RETRY_SECONDS)

    def _take(self, key: str, value: bytes, pending: dict[str, dict[str, Any]], stamps: dict[int, Stamp]
              ) -> datetime | None:
        """Gather one entry; return its tick time (None when it is malformed)."""
        try:
            if is_stamp_key(key):
                stamp = decode_stamp(value)
                stamps[stamp.partition] = stamp
                self.stamps += 1
                return stamp.at
            chunk = decode_chunk(value)
        except ValueError:
            self.malformed += 1
            return None
        pending.update(chunk.verdicts)
        members = self.members.setdefault(chunk.partition, set())
        for name in chunk.verdicts:
            if self._partition_of.setdefault(name, chunk.partition) != chunk.partition:
                self.members.get(self._partition_of[name], set()).discard(name)
                self._partition_of[name] = chunk.partition
            members.add(name)
        self.chunks += 1
        return chunk.at

    async def _apply(self, pending: dict[str, dict[str, Any]], stamps: dict[int, Stamp],
                     newest: datetime) -> None:
        if pending and self._learn is not None:
            with contextlib.suppress(Exception):  # the store away: learnt on a later tick
                await self._learn(list(pending))
        now = datetime.now(UTC)
        if pending:
            self._publish(pending, newest)
        for partition in {self._partition_of[name] for name in pending if name in self._partition_of}:
            self._stamped_at[partition] = now
        for partition, stamp in stamps.items():
            if self._restamp is not None:
                self._restamp(self.members.get(partition, ()), stamp.bucket, stamp.updated_at, stamp.at)
            self._stamped_at[partition] = now
        self.last_update_at = now
        self.newest_tick_at = newest

    async def _follow(self, watcher: Any, stop: asyncio.Event, reconnects: int) -> None:
        pending: dict[str, dict[str, Any]] = {}
        stamps: dict[int, Stamp] = {}
        newest: datetime | None = None
        loop = asyncio.get_running_loop()
        gathering_since = loop.time()
        while not stop.is_set() and self._bus.health.reconnects == reconnects:
            try:
                entry = await watcher.updates(timeout=APPLY_EVERY_SECONDS)
            except nats.errors.TimeoutError:
                entry = None
            if entry is not None and getattr(entry, "value", None):
                at = self._take(str(entry.key), entry.value, pending, stamps)
                if at is not None:
                    newest = at if newest is None or at > newest else newest
                    if loop.time() - gathering_since < GATHER_AT_MOST_SECONDS:
                        continue  # gather what arrives together; apply once the watch is quiet
            if (pending or stamps) and newest is not None:
                await self._apply(pending, stamps, newest)
                pending, stamps = {}, {}
            gathering_since = loop.time()


class CatalogLearner:
    """Services added through the admin API on another process reach this one with their first
    verdict: a verdict for a slug the board does not know loads the store's catalog once (not per
    request; a slug still unknown there is not asked about again for a minute)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._unknown_until: dict[str, float] = {}

    async def learn(self, slugs: list[str]) -> None:
        board, loop = self._app[BOARD], asyncio.get_running_loop()
        now = loop.time()
        missing = [s for s in slugs if board.service(s) is None and self._unknown_until.get(s, 0.0) <= now]
        if not missing or POOL not in self._app:
            return
        rows = {row["slug"]: row for row in await read_services(self._app[POOL])}
        for slug in missing:
            if slug in rows:
                board.put_service(service_of(rows[slug]), datetime.now(UTC))
            else:
                self._unknown_until[slug] = now + UNKNOWN_RETRY_SECONDS


VERDICT_WATCH = web.AppKey("verdict_watch", VerdictWatch)


def verdict_watch_context() -> CleanupContext:
    async def context(app: web.Application) -> AsyncIterator[None]:
        from downwatch.runtime.roles.bus_context import BUS

        settings = app[SETTINGS]
        watch = app[VERDICT_WATCH] = VerdictWatch(app[BUS], app[BOARD].publish,
                                                  tick_seconds=settings.tick_seconds,
                                                  bucket_seconds=settings.bucket_seconds,
                                                  learn=CatalogLearner(app).learn,
                                                  restamp=app[BOARD].restamp)
        app[HEALTH_CHECKS].add("verdicts", watch.check)
        app[METRICS].add_gauge(Gauge("downwatch_verdict_watch", "The API role's watch of the verdicts KV "
                                     "bucket: chunks applied, malformed, watches made, seconds since the "
                                     "last update, stale.", ("counter",), watch.metrics))
        app[METRICS].add_gauge(Gauge("downwatch_role_lag_seconds", "How far each role of this process is "
                                     "behind (api: age of the newest verdicts it serves).", ("role",),
                                     lambda: watch.lag()))
        async for _ in task_context("verdict-watch", lambda _app, stop: watch.run(stop))(app):
            yield

    return context


async def flag_stale(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: mark verdict answers given while the verdicts are stale."""
    watch = request.app.get(VERDICT_WATCH)
    service = request.match_info.get("slug") if request.path.startswith(SERVICE_PATH) else None
    if watch is not None and request.path.startswith(STALE_PATHS) and watch.stale(service=service):
        response.headers["Warning"] = STALE_WARNING
