"""The production process, assembled: ``build_app(settings)`` is what `downwatch serve` runs.

The API app (``api.app.create_app``) owns the pool; the background contexts added here start with it
and stop with it: one runner per configured source, the detector ticker on the wall clock, and the
retention sweeper.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta

from aiohttp import web

from api.app import create_app
from api.follower import follow_store
from api.keys import BOARD, CATALOG, HEALTH_CHECKS, METRICS, POOL
from api.metrics import Gauge
from downwatch.catalog import Catalog, load_catalog
from downwatch.clock import Clock, WallClock
from downwatch.config import Settings
from downwatch.runtime.liveness import WatchedSource, alive_kinds, watched
from downwatch.runtime.supervision import DetectorHealth
from downwatch.runtime.ticker import DetectorTicker
from downwatch.runtime.wiring import (
    CleanupContext,
    compiled_detector,
    every,
    ingest_context,
    retention_context,
    task_context,
)
from downwatch.store.health import read_health
from downwatch.store.services import read_admin_slugs
from ingest.runner import SourceRunner
from ingest.sources.registry import build_sources
from ingest.sources.routing import default_pipeline


def build_app(settings: Settings, *, with_sources: bool = True, follower: bool = False,
              clock: Clock | None = None) -> web.Application:
    """The API app with the live background work attached (sources, detector, retention).

    A ``follower`` runs neither sources nor the detector: it answers HTTP from the verdicts another
    process writes to the store, re-read once per tick (``api.follower``).
    """
    catalog = load_catalog(settings.catalog_path)
    if follower:
        return create_app(settings, catalog=catalog, background=[follow_store()])
    clock = clock or WallClock()
    sources = build_sources(settings, catalog) if with_sources else []
    background: list[CleanupContext] = [compiled_detector,
                                        detector_context(settings, clock, watched(sources)),
                                        retention_context(settings.retention_days, clock)]
    if sources:
        assert settings.hash_key, "serve checks hash_key before building the app"
        pipeline = default_pipeline(catalog, settings.hash_key, settings.report_window_seconds)

        def runners(app: web.Application) -> list[SourceRunner]:
            return [SourceRunner(source, pipeline, app[POOL], bucket_seconds=settings.bucket_seconds,
                                 parents=catalog.parents()) for source in sources]

        background.append(ingest_context(runners))
    return create_app(settings, catalog=catalog, background=background)


def detector_context(settings: Settings, clock: Clock,
                     sources: Sequence[WatchedSource] = ()) -> CleanupContext:
    """Score each bucket once it has closed (plus one tick of grace for late signals); evidence from
    sources that stopped delivering is marked as such, so the verdicts it feeds become ``unknown``.

    Supervised (``DetectorTicker``): each tick follows the live catalog (the catalog file plus the
    services added through the admin API), and a failed tick is retried from the store's last
    committed state; ``/healthz`` and ``/metrics`` report how far behind it is and what it set aside.
    """
    grace = timedelta(seconds=settings.tick_seconds)

    async def start(app: web.Application, stop: asyncio.Event) -> None:
        catalog: Catalog = app[CATALOG]
        board = app[BOARD]
        health = DetectorHealth(tick_seconds=settings.tick_seconds, bucket_seconds=settings.bucket_seconds,
                                started_at=clock.now())
        ticker = DetectorTicker(app[POOL], catalog.slugs, bucket_seconds=settings.bucket_seconds,
                                publish=board.publish, health=health)
        started_at = health.started_at
        assert started_at is not None
        ticker.begin_at(started_at)
        app[HEALTH_CHECKS].add("detector", lambda: health.check(clock.now()))
        app[METRICS].add_gauge(Gauge("downwatch_detector", "The supervised detector's ticks, failures, "
                                     "restores from the store, skipped buckets and set-aside services.",
                                     ("counter",), lambda: {(k,): v for k, v in health.metrics().items()}))
        app[METRICS].add_gauge(Gauge("downwatch_detector_seconds_since_tick",
                                     "Seconds since the start of the last successful detector tick.", (),
                                     lambda: {(): health.behind_seconds(clock.now())}))

        async def tick() -> None:
            now = clock.now()
            try:
                pool = app[POOL]
                ticker.set_services([*catalog.slugs, *await read_admin_slugs(pool)])
                if sources:
                    rows = await read_health(pool)
                    last_success = {row["source"]: row["last_success_at"] for row in rows}
                    ticker.alive = alive_kinds(sources, last_success, now, started_at)
            except Exception as exc:
                health.failed(now, exc)
                return
            with contextlib.suppress(Exception):  # recorded (and logged once) in ``health``
                await ticker.advance(now - grace, now=now)

        await every(settings.tick_seconds, stop, tick, "detector tick")

    return task_context("detector", start)
