"""``GET /v1/services/{slug}/timeline``: observed vs expected vs score per step, from the store.

Read once per board version and key, whatever the number of clients asking.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from api.caching import cached_answer
from api.keys import BOARD, SETTINGS, STORE_ANSWERS
from api.lookup import max_age, require_service
from api.params import bad_parameter, floor_to, parse_int, single_values, time_range
from api.representation import Representation
from api.store_access import STORE_ERRORS, pool_of, store_failed
from downwatch.store.api_queries import timeline

PARAMETERS = ("from", "to", "step")
DEFAULT_SPAN = timedelta(hours=6)
MAX_POINTS = 10_080
MAX_STEP_SECONDS = 86_400


async def get_timeline(request: web.Request) -> web.Response:
    app = request.app
    board = app[BOARD]
    service = require_service(board, request.match_info["slug"])
    bucket = app[SETTINGS].bucket_seconds
    query = single_values(request.query, PARAMETERS)
    step = parse_int("step", query.get("step"), default=bucket, low=bucket, high=MAX_STEP_SECONDS)
    if step % bucket:
        raise bad_parameter("step", f"step={step} must be a multiple of the bucket width ({bucket} s)")
    start, end = time_range(query, board.published_at, bucket, DEFAULT_SPAN)
    start = floor_to(start, step)
    end = floor_to(end - timedelta(microseconds=1), step) + timedelta(seconds=step)
    if (end - start).total_seconds() / step > MAX_POINTS:
        raise bad_parameter("step", f"from..to at step={step} gives more than {MAX_POINTS} points; "
                                    "use a larger step or a shorter range")
    pool = pool_of(request)

    async def build() -> Representation:
        try:
            points = await timeline(pool, service.slug, start, end, step)
        except STORE_ERRORS as exc:
            raise store_failed(exc) from exc
        document = {"service": service.slug, "from": start, "to": end, "step": step,
                    "bucket_seconds": bucket, "points": points}
        return Representation.of(document, board.published_at)

    answer = await app[STORE_ANSWERS].get(board.version, ("timeline", service.slug, start, end, step), build)
    return cached_answer(request, answer, max_age(app))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/services/{slug}/timeline", get_timeline)
