"""The edge every request passes: problem rendering, CORS headers and request metrics.

It wraps each route's handler once the routes are registered (``wrap_routes``), rather than being
an aiohttp middleware: on the hot path (``GET /v1/services/{slug}``) the middleware machinery cost
as much as the rest of our code. Requests that match no route land on a catch-all route registered
last, which answers 404, 405 (with ``Allow``) or a CORS preflight.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web
from aiohttp.http import HttpVersion11

from api.cors import CorsPolicy
from api.metrics import ApiMetrics
from api.problems import from_downwatch_error, from_http_exception, problem_response
from downwatch.errors import DownwatchError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
EdgeHandler = Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]]
UNMATCHED = "unmatched"
CATCH_ALL_PATH = "/{unmatched_path:(?s:.*)}"  # (?s): a path with a decoded newline is unmatched too
CATCH_ALL_CANONICAL = "/{unmatched_path}"


def edge_handler(handler: Handler, label: str, metrics: ApiMetrics, cors: CorsPolicy) -> EdgeHandler:
    """``handler`` with errors rendered as problem details, CORS headers and metrics under ``label``."""
    request_counts = metrics.requests.values
    latency = metrics.latency.cell(label)
    perf_counter = time.perf_counter

    @functools.wraps(handler)
    async def edge(request: web.Request) -> web.StreamResponse:
        started = perf_counter()
        response: web.StreamResponse
        try:
            response = await handler(request)
        except DownwatchError as error:
            response = from_downwatch_error(error, request.path)
        except web.HTTPException as error:
            if error.status < 400:
                request_counts[(request.method, label, error.status)] += 1
                raise
            response = from_http_exception(error, request.path)
        except Exception:
            log.exception("unexpected error answering %s %s", request.method, request.path)
            response = problem_response(500, "an unexpected error occurred; it has been logged",
                                        instance=request.path)
        if "Origin" in request.headers and not response.prepared:
            cors.decorate(request, response)
        request_counts[(request.method, label, response.status)] += 1
        latency.observe(perf_counter() - started)
        return response

    return edge


async def expect_continue(request: web.Request) -> web.StreamResponse | None:
    """``Expect: 100-continue`` is honoured; any other expectation is a 417 problem. aiohttp's own
    handler raised a text/plain 417 outside the edge, echoing the header, and a value that is not
    UTF-8 made that echo a 500 with a traceback."""
    if request.version != HttpVersion11:
        return None
    if request.headers.get("Expect", "").lower() == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the answer itself has not started
        return None
    return problem_response(417, "the only expectation this server meets is Expect: 100-continue",
                            instance=request.path)


def add_catch_all(app: web.Application, cors: CorsPolicy) -> None:
    """Register, last, the route that answers requests no other route matches."""

    async def unmatched(request: web.Request) -> web.StreamResponse:
        allowed: set[str] = set()
        for resource in request.app.router.resources():
            if resource.canonical == CATCH_ALL_CANONICAL:
                continue
            match, methods = await resource.resolve(request)
            if match is None:
                allowed |= methods
        if request.method == "OPTIONS" and allowed:
            preflight = cors.preflight(request, allowed)
            if preflight is not None:
                return preflight
        if allowed:
            raise web.HTTPMethodNotAllowed(request.method, allowed)
        raise web.HTTPNotFound()

    app.router.add_route("*", CATCH_ALL_PATH, unmatched)


def wrap_routes(app: web.Application, metrics: ApiMetrics, cors: CorsPolicy) -> None:
    """Put every registered route's handler, and its ``Expect`` header handling, behind the edge
    (call once, after all routes are added)."""
    for route in app.router.routes():
        resource = route.resource
        if resource is None:
            continue
        label = UNMATCHED if resource.canonical == CATCH_ALL_CANONICAL else resource.canonical
        # aiohttp has no public setter for a route's handler; routes are plain objects until the
        # app is frozen, and this runs before that.
        route._handler = edge_handler(route.handler, label, metrics, cors)
        route._expect_handler = expect_continue
