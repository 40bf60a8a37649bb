"""The demo system: a store, the catalog, the scenario's history replayed, then the incident played live.

``DemoSystem`` is what `downwatch demo` runs and what tests and the dashboard's browser tests reuse:

    async with DemoSystem.start(settings, history_days=2) as demo:
        app = demo.create_app()               # the real API app, fed by the demo's clock
        ...

History (the days before the outage) goes through the real pipeline into the store as fast as it can
and the detector catches up over it bucket by bucket; from ``live_from`` on, a replay clock plays the
scenario at ``speed`` times real time: each simulated minute's observations are ingested, then the
detector scores the minute and publishes the verdicts to the API's board (and its SSE stream).
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
from downwatch.runtime.scenario import Scenario, bt_outage
from downwatch.runtime.ticker import DetectorTicker, Publish
from downwatch.store.migrate import upgrade
from downwatch.store.pool import create_pool
from downwatch.store.services import sync_catalog
from downwatch.store.signals import bucket_of, insert_signals
from ingest.sources.routing import RoutedPipeline, default_pipeline

log = logging.getLogger(__name__)

HISTORY_BATCH_MINUTES = 240


def scenario_names(catalog: Catalog, scenario: Scenario) -> None:
    """Give the scenario each service's display name, handle, hashtag stem and domain from the catalog."""
    for slug in scenario.base_rates:
        service = catalog.get(slug)
        if service is None:
            continue
        handle = service.handles[0] if service.handles else service.name.replace(" ", "")
        domain = service.domains[0] if service.domains else f"{slug}.com"
        scenario.names.setdefault(slug, (service.name, handle, service.name.replace(" ", ""), domain))


@dataclass
class DemoSystem:
    settings: Settings
    pool: asyncpg.Pool
    catalog: Catalog
    scenario: Scenario
    pipeline: RoutedPipeline
    ticker: DetectorTicker
    live_from: datetime
    speed: float
    fed_until: datetime
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
        pool = await create_pool(settings.database_url, min_size=1, max_size=settings.pool_max_size)
        try:
            async with pool.acquire() as conn:
                await upgrade(conn)
            catalog = load_catalog(settings.catalog_path)
            await sync_catalog(pool, catalog)
            scenario = bt_outage(history_days=history_days, seed=seed)
            scenario_names(catalog, scenario)
            pipeline = default_pipeline(catalog, settings.hash_key or secrets.token_hex(32),
                                        settings.report_window_seconds)
            ticker = DetectorTicker(pool, catalog.slugs, bucket_seconds=settings.bucket_seconds)
            live_from = scenario.outage.onset - timedelta(minutes=lead_minutes)
            system = cls(settings, pool, catalog, scenario, pipeline, ticker, live_from, speed,
                         fed_until=scenario.start)
            await ticker.restore(start=scenario.start)
            say(f"replaying {history_days} days of history ({scenario.start:%Y-%m-%d} → "
                f"{live_from:%Y-%m-%d %H:%M} UTC) through the pipeline and the detector")
            await system.feed(live_from)
            await ticker.advance(live_from)
            yield system
        finally:
            await pool.close()

    async def feed(self, until: datetime) -> int:
        """Ingest the scenario's whole minutes that ended by ``until``; return how many signals were stored.

        The scenario draws a minute at a time, so feeding stops at a minute boundary: a minute is
        generated once, never again from a mid-minute start.
        """
        until = bucket_of(until, 60)
        stored = 0
        while self.fed_until < until:
            end = min(until, self.fed_until + timedelta(minutes=HISTORY_BATCH_MINUTES))
            observations = [o for batch in self.scenario.observations(self.fed_until, end) for o in batch]
            signals = self.pipeline.signals(observations)
            async with self.pool.acquire() as conn:
                stored += await insert_signals(conn, signals, bucket_seconds=self.settings.bucket_seconds)
            self.fed_until = end
        return stored

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
        end = self.scenario.outage.onset + timedelta(minutes=self.scenario.outage.duration_minutes + 120)
        while not stop.is_set():
            now = min(self.clock.now(), end)
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
        app = create_app(self.settings, catalog=self.catalog, pool=self.pool, background=background)
        if not play:
            from api.keys import BOARD

            self.publish_to(app[BOARD].publish)
        return app
