"""The store, watched from the background: ``/healthz`` and the circuit breaker never wait on it.

Once a second the watch asks PostgreSQL ``SELECT 1`` within a short timeout. Its answers keep the
``store`` health check current and, as the breaker's only half-open trial, close the breaker again
once the server answers (``downwatch.store.guard``); requests never probe a server that may hang.
A failed probe never ends the watch: if it did, an open breaker would never close again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp import web

from api.background import running
from api.keys import HEALTH_CHECKS, METRICS, POOL, SETTINGS
from api.metrics import Gauge
from api.store_access import UNAVAILABLE
from downwatch.store.guard import GuardedPool

log = logging.getLogger(__name__)

PROBE_SECONDS = 1.0
PROBES_BEFORE_STALE = 3


class StoreWatch:
    def __init__(self, pool: asyncpg.Pool, timeout_seconds: float) -> None:
        self._pool = pool
        self._timeout = timeout_seconds
        self.last_ok_at: datetime | None = datetime.now(UTC)  # the store context just connected
        self.last_error: str | None = None
        self.latency_seconds: float | None = None
        if isinstance(pool, GuardedPool):
            pool.breaker.watched = True

    async def probe(self) -> bool:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            connection = (self._pool.probe(self._timeout) if isinstance(self._pool, GuardedPool)
                          else self._pool.acquire(timeout=self._timeout))
            async with connection as conn:
                await conn.fetchval("SELECT 1", timeout=self._timeout)
        except UNAVAILABLE as exc:
            self.last_error = type(exc).__name__
            return False
        self.latency_seconds = loop.time() - started
        self.last_ok_at = datetime.now(UTC)
        self.last_error = None
        return True

    def check(self) -> tuple[bool, dict[str, Any]]:
        now = datetime.now(UTC)
        age = None if self.last_ok_at is None else (now - self.last_ok_at).total_seconds()
        stale_after = PROBES_BEFORE_STALE * PROBE_SECONDS + self._timeout
        breaker = self._pool.breaker if isinstance(self._pool, GuardedPool) else None
        circuit = breaker.state.value if breaker is not None else "closed"
        ok = circuit == "closed" and age is not None and age <= stale_after
        details: dict[str, Any] = {"state": "ok" if ok else "unavailable", "circuit": circuit,
                                   "seconds_since_answer": None if age is None else round(age, 3)}
        if self.last_error:
            details["last_error"] = self.last_error
        if breaker is not None and breaker.state.value != "closed":
            details["retry_after_seconds"] = breaker.retry_after()
        return ok, details

    def metrics(self) -> dict[tuple[str, ...], float]:
        values: dict[tuple[str, ...], float] = {("up",): float(self.check()[0])}
        if isinstance(self._pool, GuardedPool):
            breaker = self._pool.breaker
            values.update({("circuit_open",): float(breaker.state.value != "closed"),
                           ("opened",): breaker.opened_total, ("rejected",): breaker.rejected_total,
                           ("failures",): breaker.failures_total})
        return values

    async def run(self) -> None:
        while True:
            try:
                await self.probe()
            except Exception as exc:  # the breaker's only half-open trial: the watch must not die
                if self.last_error != type(exc).__name__:
                    log.exception("store watch: the probe failed unexpectedly; probing on")
                self.last_error = type(exc).__name__
            await asyncio.sleep(PROBE_SECONDS)


async def store_watch_context(app: web.Application) -> AsyncIterator[None]:
    """Watch the store while the app runs (nothing to watch without one)."""
    if POOL not in app:
        yield
        return
    watch = StoreWatch(app[POOL], app[SETTINGS].store_timeout_seconds)
    app[HEALTH_CHECKS].add("store", watch.check)
    app[METRICS].add_gauge(Gauge("downwatch_store", "The store as the background watch sees it: up, "
                                 "circuit_open, and the breaker's opened/rejected/failures totals.",
                                 ("counter",), watch.metrics))
    async with running(watch.run(), "store-watch"):
        yield
