"""The one middleware every request passes: preflights, problem rendering, and request metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from api.cors import CorsPolicy
from api.metrics import ApiMetrics, HistogramCell
from api.problems import from_downwatch_error, from_http_exception, problem_response
from downwatch.errors import DownwatchError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def edge_middleware(metrics: ApiMetrics, cors: CorsPolicy) -> Callable[..., Awaitable[web.StreamResponse]]:
    request_counts = metrics.requests.values
    latency = metrics.latency
    series: dict[object, tuple[str, HistogramCell]] = {}  # route -> (label, latency cell)

    @web.middleware
    async def edge(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        response: web.StreamResponse
        try:
            if request.method == "OPTIONS":
                response = await _options(request, handler, cors)
            else:
                response = await handler(request)
        except DownwatchError as error:
            response = from_downwatch_error(error, request.path)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            response = from_http_exception(error, request.path)
        except Exception:
            log.exception("unexpected error answering %s %s", request.method, request.path)
            response = problem_response(500, "an unexpected error occurred; it has been logged",
                                        instance=request.path)
        if "Origin" in request.headers and not response.prepared:
            cors.decorate(request, response)
        route = request.match_info.route
        known = series.get(route)
        if known is None:
            label = route_label(request)
            known = (label, latency.cell(label))
            if route.resource is not None:  # unmatched requests get a new route object each time
                series[route] = known
        request_counts[(request.method, known[0], response.status)] += 1
        known[1].observe(time.perf_counter() - started)
        return response

    return edge


async def _options(request: web.Request, handler: Handler, cors: CorsPolicy) -> web.StreamResponse:
    error = request.match_info.http_exception
    if isinstance(error, web.HTTPMethodNotAllowed):
        answer = cors.preflight(request, error.allowed_methods)
        if answer is not None:
            return answer
    return await handler(request)
