"""Keeping a board in step with the store, for API processes that do not run the detector.

In a deployment of several API processes behind a cache, one process runs the detector (which
writes each tick's verdicts to the ``verdicts`` table); every other process passes
``background=[follow_store()]`` to ``create_app`` and re-reads the verdicts once per tick — one
query per tick per process, never one per request. Identical verdicts serialise to identical bytes,
so every process answers with the same ETag.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from api.background import running
from api.keys import BOARD, HEALTH_CHECKS, POOL, SETTINGS
from api.store_access import UNAVAILABLE
from downwatch.store.detector_output import read_verdicts

log = logging.getLogger(__name__)


FOLLOWER_TICKS_BEHIND_LIMIT = 2


async def refresh_from_store(app: web.Application) -> int:
    """Publish the stored verdicts on the board; return how many services changed."""
    return len((await _refresh(app))[0])


async def _refresh(app: web.Application) -> tuple[list[Any], datetime | None]:
    verdicts = await read_verdicts(app[POOL])
    return app[BOARD].publish(verdicts, datetime.now(UTC)), newest_verdict_at(verdicts.values())


def newest_verdict_at(verdicts: Iterable[Mapping[str, Any]]) -> datetime | None:
    times = [str(v["updated_at"]) for v in verdicts if v.get("updated_at")]
    return datetime.fromisoformat(max(times).replace("Z", "+00:00")) if times else None


class FollowerHealth:
    """Whether this follower keeps up with the store, and the store with the detector writing it.

    Failing when the last successful refresh is more than two ticks old, or when the newest stored
    verdict is more than two ticks older than the bucket that should have been scored by now.
    """

    def __init__(self, tick_seconds: float, bucket_seconds: int) -> None:
        self.tick_seconds = tick_seconds
        self.bucket_seconds = bucket_seconds
        self.last_refresh_at = datetime.now(UTC)
        self.newest_verdict_at: datetime | None = None
        self.last_error: str | None = None

    def check(self) -> tuple[bool, dict[str, Any]]:
        now = datetime.now(UTC)
        limit = FOLLOWER_TICKS_BEHIND_LIMIT * self.tick_seconds
        refresh_age = (now - self.last_refresh_at).total_seconds()
        details: dict[str, Any] = {"seconds_since_refresh": round(refresh_age, 3),
                                   "newest_verdict_at": self.newest_verdict_at}
        ok = refresh_age <= limit + self.tick_seconds  # refreshed once a tick
        if self.newest_verdict_at is not None:
            # A bucket's verdicts are written one tick (the grace) after it closes, within a tick.
            expected_lag = self.bucket_seconds + 2 * self.tick_seconds
            behind = (now - self.newest_verdict_at).total_seconds() - expected_lag
            details["detector_seconds_behind"] = round(max(0.0, behind), 3)
            ok = ok and behind <= limit
        if self.last_error:
            details["last_error"] = self.last_error
        details["state"] = "ok" if ok else "behind"
        return ok, details


def follow_store(interval_seconds: float | None = None
                 ) -> Callable[[web.Application], AsyncIterator[None]]:
    async def follow(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        interval = interval_seconds or settings.tick_seconds
        health = FollowerHealth(interval, settings.bucket_seconds)
        app[HEALTH_CHECKS].add("verdicts", health.check)

        async def loop() -> None:
            while True:
                try:
                    _, newest = await _refresh(app)
                except UNAVAILABLE as exc:
                    if health.last_error != type(exc).__name__:
                        log.warning("could not refresh verdicts from the store: %s", type(exc).__name__)
                    health.last_error = type(exc).__name__
                else:
                    health.last_refresh_at = datetime.now(UTC)
                    health.newest_verdict_at = newest
                    health.last_error = None
                await asyncio.sleep(interval)

        if POOL not in app:
            raise RuntimeError("follow_store needs a store: set database_url")
        async with running(loop(), "board-follower"):
            yield

    return follow
