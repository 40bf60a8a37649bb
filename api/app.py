"""The application factory: ``create_app(settings, catalog=..., pool=..., background=...)``.

Lifespan (aiohttp cleanup contexts, in order): the store (open the pool from
``settings.database_url`` and migrate it, unless a pool was given; then load admin catalog edits),
the report writer (or ``report_sink``, a context that sets ``app[REPORT_WRITER]``, e.g. a NATS
publisher), then each of ``background`` — the hook for ``downwatch.runtime``: callables
``(app) -> AsyncIterator[None]`` that start a task before their ``yield`` and stop it after. They
can read ``app[api.keys.BOARD]`` (call ``board.publish(verdicts, at)`` each tick) and, when there is
a store, ``app[api.keys.POOL]``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from api.board import VerdictBoard
from api.client_identity import ClientIdentifier
from api.cors import CorsPolicy
from api.edge import add_catch_all, wrap_routes
from api.framing import serve_problems
from api.health_checks import HealthChecks
from api.keys import (
    BOARD,
    CATALOG,
    CATALOG_EDIT_LISTENERS,
    CLIENTS,
    CLOCK,
    CORS,
    HEALTH_CHECKS,
    METRICS,
    POOL,
    REPORT_LIMITER,
    REPORT_WRITER,
    SETTINGS,
    STORE_ANSWERS,
    TUNING,
)
from api.metrics import ApiMetrics, Gauge
from api.ratelimit import ReportLimiter
from api.report_writer import ReportWriter
from api.routes import (
    admin,
    client_tokens,
    dashboard,
    dashboard_data,
    dashboard_map,
    incidents,
    meta,
    reports,
    services,
    statuspage,
    stream,
    timeline,
)
from api.store_cache import StoreAnswerCache
from api.store_watch import store_watch_context
from api.tuning import ApiTuning
from downwatch.catalog import Catalog, load_catalog
from downwatch.clock import Clock, WallClock
from downwatch.config import Settings
from downwatch.records import Service
from downwatch.store.guard import StoreBreaker
from downwatch.store.migrate import upgrade
from downwatch.store.pool import create_pool
from downwatch.store.services import read_services

log = logging.getLogger(__name__)

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def create_app(settings: Settings, *, catalog: Catalog | None = None, pool: asyncpg.Pool | None = None,
               background: Sequence[CleanupContext] = (), tuning: ApiTuning | None = None,
               report_sink: CleanupContext | None = None, clock: Clock | None = None) -> web.Application:
    catalog = catalog if catalog is not None else load_catalog(settings.catalog_path)
    tuning = tuning or ApiTuning()
    metrics = ApiMetrics()
    cors = CorsPolicy(settings.cors_origins)
    app = web.Application(client_max_size=settings.max_body_bytes,
                          handler_args={"max_field_size": 8190, "max_line_size": 32768})
    app[SETTINGS] = settings
    app[CLOCK] = clock or WallClock()
    app[TUNING] = tuning
    app[CATALOG] = catalog
    app[METRICS] = metrics
    board = app[BOARD] = VerdictBoard(catalog, history=tuning.event_history,
                                      tick_seconds=settings.tick_seconds)
    hash_key = settings.hash_key or secrets.token_hex(32)
    app[CLIENTS] = ClientIdentifier(hash_key, settings.trusted_proxies)
    per_network = settings.network_rate_per_minute()
    app[REPORT_LIMITER] = ReportLimiter(settings.report_rate_per_minute,
                                        settings.report_global_rate_per_second,
                                        per_network_per_minute=per_network)
    app[STORE_ANSWERS] = StoreAnswerCache()
    app[HEALTH_CHECKS] = HealthChecks()
    app[CATALOG_EDIT_LISTENERS] = []
    metrics.add_gauge(Gauge("downwatch_verdicts", "Services by current verdict status.", ("status",),
                            lambda: {(status,): n for status, n in board.status_counts().items()}))
    metrics.add_gauge(Gauge("downwatch_sse_clients", "Connected server-sent-events clients.", (),
                            lambda: {(): board.subscriber_count}))

    app[CORS] = cors
    app.cleanup_ctx.append(_store_context(pool))
    app.cleanup_ctx.append(store_watch_context)
    app.cleanup_ctx.append(report_sink or _report_writer_context)
    app.cleanup_ctx.extend(background)
    app.on_shutdown.append(_end_streams)
    for module in (services, timeline, incidents, reports, client_tokens, stream, statuspage, meta, admin,
                   dashboard, dashboard_data, dashboard_map):
        module.add_routes(app)
    meta.add_root_placeholder(app)
    add_catch_all(app, cors)
    wrap_routes(app, metrics, cors)
    serve_problems(app, logging.getLogger("api.framing"))
    return app


def _store_context(given: asyncpg.Pool | None) -> CleanupContext:
    async def store(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        owned: asyncpg.Pool | None = None
        if given is not None:
            app[POOL] = given
        elif settings.database_url:
            owned = await create_pool(settings.database_url, min_size=settings.pool_min_size,
                                      max_size=settings.pool_max_size,
                                      command_timeout=settings.store_timeout_seconds,
                                      breaker=StoreBreaker(open_seconds=settings.store_breaker_open_seconds))
            async with owned.acquire() as conn:
                await upgrade(conn)
            app[POOL] = owned
        else:
            log.warning("no database_url: reports, timeline, incidents and admin routes answer 503")
        if POOL in app:
            for row in await read_services(app[POOL]):
                if row["origin"] == "admin":
                    app[BOARD].put_service(_service_of(row), datetime.now(UTC))
        try:
            yield
        finally:
            if owned is not None:
                await owned.close()

    return store


def _service_of(row: dict[str, object]) -> Service:
    def strings(value: object) -> tuple[str, ...]:
        return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()

    status_page = row.get("status_page")
    return Service(slug=str(row["slug"]), name=str(row["name"]), country=str(row["country"]),
                   category=str(row["category"]), aliases=strings(row.get("aliases")),
                   domains=strings(row.get("domains")), handles=strings(row.get("handles")),
                   status_page=str(status_page) if status_page else None)


async def _report_writer_context(app: web.Application) -> AsyncIterator[None]:
    if POOL not in app:
        yield
        return
    tuning = app[TUNING]
    writer = ReportWriter(app[POOL], app[METRICS], writers=tuning.report_writers,
                          batch_limit=tuning.report_batch_limit,
                          bucket_seconds=app[SETTINGS].bucket_seconds,
                          answer_timeout=app[SETTINGS].store_timeout_seconds,
                          parents=app[CATALOG].parents())
    writer.start()
    app[REPORT_WRITER] = writer
    try:
        yield
    finally:
        await writer.stop()


async def _end_streams(app: web.Application) -> None:
    app[BOARD].close_subscriptions()
