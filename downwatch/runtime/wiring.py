"""The background work of a live process, as aiohttp cleanup contexts for ``create_app(background=...)``.

Each context starts its task before ``yield`` and stops it after, so the pool, the sources and the
detector start and stop with the app: ingest runners (one per configured source), the detector
ticker, and the retention sweeper.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

from aiohttp import web

from api.background import cancel_and_wait
from detector.warmup import compile_loops
from downwatch.clock import Clock
from downwatch.store.retention import apply_retention
from ingest.runner import SourceRunner

log = logging.getLogger(__name__)

CleanupContext = Callable[[web.Application], AsyncIterator[None]]
RETENTION_INTERVAL_SECONDS = 3600.0


async def every(seconds: float, stop: asyncio.Event, work: Callable[[], Awaitable[object]],
                 name: str) -> None:
    """Run ``work`` now and then every ``seconds`` until ``stop``; a failure is logged, not fatal.

    A run of failures logs one line when it starts (the traceback only at DEBUG) and one when it
    ends, so a store that is down for an hour does not write a traceback every few seconds.
    """
    failures, last_error = 0, ""
    while not stop.is_set():
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            if error != last_error:
                log.error("%s failed (%s); trying again every %.0f s", name, error, seconds)
                log.debug("%s failure", name, exc_info=True)
            last_error = error
        else:
            if failures:
                log.warning("%s works again after %d failure(s)", name, failures)
            failures, last_error = 0, ""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def compiled_detector(app: web.Application) -> AsyncIterator[None]:
    """Load (on a fresh install: compile) the detector's loops before the server listens. Compiling
    holds the interpreter for seconds; during the first tick it would stall every request, /healthz
    included, so the process answers nothing until its detector is ready."""
    await asyncio.to_thread(compile_loops)
    yield


def task_context(name: str, start: Callable[[web.Application, asyncio.Event], Coroutine[Any, Any, None]]
                 ) -> CleanupContext:
    """A cleanup context that runs ``start(app, stop)`` as a task and stops it on shutdown."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(start(app, stop), name=name)
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, 10)
            except TimeoutError:
                await cancel_and_wait(task)

    return context


def periodic_context(name: str, seconds: float,
                     work: Callable[[web.Application], Awaitable[object]]) -> CleanupContext:
    async def start(app: web.Application, stop: asyncio.Event) -> None:
        await every(seconds, stop, lambda: work(app), name)

    return task_context(name, start)


def retention_context(retention_days: int, clock: Clock) -> CleanupContext:
    from api.keys import POOL

    async def sweep(app: web.Application) -> None:
        async with app[POOL].acquire() as conn:
            dropped = await apply_retention(conn, clock.now(), retention_days)
        if dropped:
            log.info("retention: dropped signals of %s", ", ".join(d.isoformat() for d in dropped))

    return periodic_context("retention", RETENTION_INTERVAL_SECONDS, sweep)


def ingest_context(runners_factory: Callable[[web.Application], Sequence[SourceRunner]]) -> CleanupContext:
    """Run every source runner (``ingest.runner.SourceRunner``) until shutdown, then close them."""

    async def start(app: web.Application, stop: asyncio.Event) -> None:
        runners = list(runners_factory(app))
        try:
            await asyncio.gather(*(runner.run(stop) for runner in runners))
        finally:
            for runner in runners:
                with contextlib.suppress(Exception):
                    await runner.close()

    return task_context("ingest", start)
