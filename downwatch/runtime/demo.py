"""The demo system: a store, the catalog, the scenario's history replayed, then the incident played live.

``DemoSystem`` is what `downwatch demo` runs and what tests and the dashboard's browser tests reuse:

    async with DemoSystem.start(settings, history_days=2) as demo:
        app = demo.create_app()               # the real API app, fed by the demo's clock
        ...

History (the days before the outage) goes through the real pipeline into the store as fast as it can,
in a process of its own (``downwatch.runtime.demo_feed``), while the detector scores each stored chunk
bucket by bucket; from ``live_from`` on, a replay clock plays the scenario at ``speed`` times real
time: each simulated minute's observations are ingested, then the detector scores the minute and
publishes the verdicts to the API's board (and its SSE stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from aiohttp import web

from downwatch.catalog import Catalog, load_catalog
from downwatch.clock import ReplayClock
from downwatch.config import Settings
from downwatch.runtime.demo_feed import FeedJob, FeedProcess
from downwatch.runtime.scenario import Scenario, bt_outage, scenario_names
from downwatch.runtime.ticker import DetectorTicker, Publish
from downwatch.store.migrate import upgrade
from downwatch.store.pool import create_pool
from downwatch.store.services import sync_catalog

__all__ = ["DemoSystem", "scenario_names"]

log = logging.getLogger(__name__)


@dataclass
class DemoSystem:
    settings: Settings
    pool: asyncpg.Pool
    catalog: Catalog
    scenario: Scenario
    feeder: FeedProcess
    ticker: DetectorTicker
    live_from: datetime
    speed: float
    publishers: list[Publish] = field(default_factory=list)
    clock: ReplayClock | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, settings: Settings, *, history_days: int = 3, lead_minutes: int = 20,
                    speed: float = 30.0, seed: int = 7,
                    progress: Callable[[str], None] | None = None) -> AsyncIterator[DemoSystem]:
        """Store, catalog and history ready; the live phase starts ``lead_minutes`` before the onset."""
        assert settings.database_url, "the demo needs a database_url (the command starts one)"
        say = progress or (lambda message: None)
        scenario = bt_outage(history_days=history_days, seed=seed)
        # Started first: its imports and model load overlap the migrations below.
        feeder = await FeedProcess.start(FeedJob(
            dsn=settings.database_url, hash_key=settings.hash_key or secrets.token_hex(32),
            catalog_path=str(settings.catalog_path) if settings.catalog_path else None,
            history_days=history_days, seed=seed, bucket_seconds=settings.bucket_seconds,
            report_window_seconds=settings.report_window_seconds), scenario.start)
        pool: asyncpg.Pool | None = None
        try:
            pool = await create_pool(settings.database_url, min_size=1, max_size=settings.pool_max_size)
            async with pool.acquire() as conn:
                await upgrade(conn)
            catalog = load_catalog(settings.catalog_path)
            await sync_catalog(pool, catalog)
            scenario_names(catalog, scenario)
            ticker = DetectorTicker(pool, catalog.slugs, bucket_seconds=settings.bucket_seconds)
            live_from = scenario.outage.onset - timedelta(minutes=lead_minutes)
            system = cls(settings, pool, catalog, scenario, feeder, ticker, live_from, speed)
            await ticker.restore(start=scenario.start)
            say(f"replaying {history_days} days of history ({scenario.start:%Y-%m-%d} → "
                f"{live_from:%Y-%m-%d %H:%M} UTC) through the pipeline and the detector")
            await feeder.feed(live_from, stored=ticker.advance)
            await ticker.advance(live_from)
            yield system
        finally:
            await feeder.close()
            if pool is not None:
                await pool.close()

    def now(self) -> datetime:
        """The demo's now: the replay clock while it plays (up to its end), else the end of the last
        minute fed. A report posted to the demo's API is received at this time, so the detector that
        runs on the demo's clock counts it."""
        if self.clock is None:
            return self.fed_until
        return min(self.clock.now(), self.play_ends_at)

    @property
    def play_ends_at(self) -> datetime:
        return self.scenario.outage.onset + timedelta(minutes=self.scenario.outage.duration_minutes + 120)

    @property
    def fed_until(self) -> datetime:
        """The end of the last minute of the scenario stored."""
        return self.feeder.fed_until

    async def feed(self, until: datetime) -> int:
        """Ingest the scenario's whole minutes that ended by ``until``; return how many signals were stored.

        The scenario draws a minute at a time, so feeding stops at a minute boundary: a minute is
        generated once, never again from a mid-minute start.
        """
        return await self.feeder.feed(until)

    def publish_to(self, publish: Publish) -> None:
        self.publishers.append(publish)
        publish(self.ticker.verdicts(), self.fed_until)

    async def step_to(self, until: datetime) -> int:
        """Feed and score every whole minute up to ``until``; publish if anything was scored."""
        await self.feed(until)
        scored = await self.ticker.advance(until)
        if scored:
            verdicts = self.ticker.verdicts()
            for publish in self.publishers:
                publish(verdicts, until)
        return scored

    async def play(self, stop: asyncio.Event, tick_seconds: float = 1.0) -> None:
        """Play the scenario from ``live_from`` at ``speed`` until ``stop`` or the end of the incident."""
        self.clock = ReplayClock(self.live_from, self.speed)
        end = self.play_ends_at
        while not stop.is_set():
            now = self.now()
            await self.step_to(now)
            if now >= end:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), tick_seconds)

    def background(self) -> Callable[[web.Application], AsyncIterator[None]]:
        """A cleanup context for ``create_app``: publish to the app's board and play while it runs."""

        async def context(app: web.Application) -> AsyncIterator[None]:
            from api.keys import BOARD

            self.publish_to(app[BOARD].publish)
            stop = asyncio.Event()
            task = asyncio.create_task(self.play(stop), name="demo-play")
            try:
                yield
            finally:
                stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 10)

        return context

    def create_app(self, *, play: bool = True) -> web.Application:
        """The real API app over the demo's store; ``play=False`` leaves the clock to the caller."""
        from api.app import create_app

        background: list[Callable[[web.Application], AsyncIterator[None]]] = []
        if play:
            background.append(self.background())
        app = create_app(self.settings, catalog=self.catalog, pool=self.pool, background=background,
                         clock=self)
        if not play:
            from api.keys import BOARD

            self.publish_to(app[BOARD].publish)
        return app
