"""The routes about the API itself: ``/openapi.json``, ``/docs``, ``/healthz``, ``/metrics``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from api.caching import cached_answer
from api.docs_page import render_docs
from api.keys import BOARD, METRICS, POOL, SETTINGS, STORE_ANSWERS
from api.lookup import max_age
from api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from api.openapi import openapi_document
from api.params import single_values
from api.representation import Representation
from api.store_access import STORE_ERRORS
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

def source_state(row: dict[str, Any]) -> str:
    if row.get("paused"):
        return "paused"
    error_at, success_at = row.get("last_error_at"), row.get("last_success_at")
    if error_at is not None and (success_at is None or error_at > success_at):
        return "failing"
    return "ok" if success_at is not None else "waiting"


async def get_health(request: web.Request) -> web.Response:
    single_values(request.query, ())
    app = request.app
    board = app[BOARD]
    pool = app.get(POOL)

    async def build() -> Representation:
        store, sources = "absent", []
        if pool is not None:
            try:
                sources = [{**row, "state": source_state(row)} for row in await read_health(pool)]
                store = "ok"
            except STORE_ERRORS:
                store = "unavailable"
        now = datetime.now(UTC)
        document = {"status": "ok", "version": __version__, "store": store,
                    "board": {"version": board.version, "published_at": board.published_at,
                              "age_seconds": round((now - board.published_at).total_seconds(), 3)},
                    "sources": sources}
        return Representation.of(document, board.published_at)

    # Health must move even when no bucket is published (a failing detector is when it matters), so
    # it is cached per board version *and* per few seconds of wall time.
    window = int(time.monotonic() // HEALTH_REFRESH_SECONDS)
    answer = await app[STORE_ANSWERS].get(board.version, ("healthz", window), build)
    return cached_answer(request, answer, max_age(app))


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
    app.router.add_get("/healthz", get_health)
    app.router.add_get("/metrics", get_metrics)
