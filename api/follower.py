"""Keeping a board in step with the store, for API processes that do not run the detector.

In a deployment of several API processes behind a cache, one process runs the detector (which
writes each tick's verdicts to the ``verdicts`` table); every other process passes
``background=[follow_store()]`` to ``create_app`` and re-reads the verdicts once per tick — one
query per tick per process, never one per request. Identical verdicts serialise to identical bytes,
so every process answers with the same ETag.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from aiohttp import web

from api.keys import BOARD, POOL, SETTINGS
from api.store_access import STORE_ERRORS
from downwatch.store.detector_output import read_verdicts

log = logging.getLogger(__name__)


async def refresh_from_store(app: web.Application) -> int:
    """Publish the stored verdicts on the board; return how many services changed."""
    verdicts = await read_verdicts(app[POOL])
    return len(app[BOARD].publish(verdicts, datetime.now(UTC)))


def follow_store(interval_seconds: float | None = None
                 ) -> Callable[[web.Application], AsyncIterator[None]]:
    async def follow(app: web.Application) -> AsyncIterator[None]:
        interval = interval_seconds or app[SETTINGS].tick_seconds

        async def loop() -> None:
            while True:
                try:
                    await refresh_from_store(app)
                except STORE_ERRORS as exc:
                    log.warning("could not refresh verdicts from the store: %s", exc)
                await asyncio.sleep(interval)

        if POOL not in app:
            raise RuntimeError("follow_store needs a store: set database_url")
        task = asyncio.create_task(loop(), name="board-follower")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return follow
