"""The routes about the API itself: ``/openapi.json``, ``/docs``, ``/healthz``, ``/metrics``."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from aiohttp import web

from api.caching import cached_answer
from api.docs_page import render_docs
from api.keys import BOARD, HEALTH_CHECKS, METRICS, POOL, SETTINGS, STORE_ANSWERS
from api.lookup import max_age
from api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from api.openapi import openapi_document
from api.params import single_values
from api.representation import JSON_OPTIONS, Representation
from api.store_access import UNAVAILABLE
from downwatch import __version__
from downwatch.store.health import read_health

OPENAPI = web.AppKey("openapi", Representation)
DOCS = web.AppKey("docs", Representation)


async def get_openapi(request: web.Request) -> web.Response:
    single_values(request.query, ())
    return cached_answer(request, request.app[OPENAPI], 3600)


async def get_docs(request: web.Request) -> web.Response:
    single_values(request.query, ())
    return cached_answer(request, request.app[DOCS], 3600, "text/html; charset=utf-8")


HEALTH_REFRESH_SECONDS = 5.0
SOURCES_READ_SECONDS = 0.5
"""``/healthz`` reads the sources' rows within this, else shows the last rows it read."""
LAST_SOURCES = web.AppKey("last_sources", list)


def source_state(row: dict[str, Any]) -> str:
    if row.get("paused"):
        return "paused"
    error_at, success_at = row.get("last_error_at"), row.get("last_success_at")
    if error_at is not None and (success_at is None or error_at > success_at):
        return "failing"
    return "ok" if success_at is not None else "waiting"


async def _sources(app: web.Application, pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The sources' health rows, read at most once per few seconds and never waited on for long."""
    async def build() -> Representation:
        rows = await asyncio.wait_for(read_health(pool), SOURCES_READ_SECONDS)
        return Representation.of([{**row, "state": source_state(row)} for row in rows], datetime.now(UTC))

    window = int(time.monotonic() // HEALTH_REFRESH_SECONDS)
    try:
        answer = await app[STORE_ANSWERS].get(app[BOARD].version, ("healthz-sources", window), build)
    except UNAVAILABLE:
        return [*app[LAST_SOURCES]]
    rows: list[dict[str, Any]] = orjson.loads(answer.body)
    app[LAST_SOURCES][:] = rows
    return rows


async def get_health(request: web.Request) -> web.Response:
    """200 when every check passes; 503 naming the failing checks (the store, the detector...)."""
    single_values(request.query, ())
    app = request.app
    board = app[BOARD]
    pool = app.get(POOL)
    checks = app[HEALTH_CHECKS].run()
    sources = await _sources(app, pool) if pool is not None else []
    failing = sorted(name for name, check in checks.items() if not check["ok"])
    store = "absent" if pool is None else ("ok" if checks.get("store", {}).get("ok", True) else "unavailable")
    now = datetime.now(UTC)
    document = {"status": "failing" if failing else "ok", "version": __version__, "store": store,
                "failing": failing, "checks": checks,
                "board": {"version": board.version, "published_at": board.published_at,
                          "age_seconds": round((now - board.published_at).total_seconds(), 3)},
                "sources": sources}
    if failing:
        retry = checks.get("store", {}).get("retry_after_seconds", 5)
        return web.Response(status=503, body=orjson.dumps(document, option=JSON_OPTIONS),
                            content_type="application/json",
                            headers={"Cache-Control": "no-store", "Retry-After": str(retry)})
    return cached_answer(request, Representation.of(document, board.published_at), max_age(app))


async def get_metrics(request: web.Request) -> web.Response:
    single_values(request.query, ())
    return web.Response(body=request.app[METRICS].render().encode(),
                        headers={"Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store"})


async def get_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/docs")


def add_root_placeholder(app: web.Application) -> None:
    """``GET /`` redirects to /docs unless the dashboard has claimed it."""
    if not any(resource.canonical == "/" for resource in app.router.resources()):
        app.router.add_get("/", get_root)


def add_routes(app: web.Application) -> None:
    spec = openapi_document(app[SETTINGS].bucket_seconds)
    app[OPENAPI] = Representation.of_bytes(orjson.dumps(spec), datetime.now(UTC))
    app[DOCS] = Representation.of_bytes(render_docs(spec).encode(), datetime.now(UTC))
    app.router.add_get("/openapi.json", get_openapi)
    app.router.add_get("/docs", get_docs)
    app[LAST_SOURCES] = []
    app.router.add_get("/healthz", get_health)
    app.router.add_get("/metrics", get_metrics)
