"""``GET /dashboard/data/locations``: reports per place for the map, with each place's coordinates.

``service`` (a slug; every service when absent), ``from``/``to`` (ISO-8601) or ``hours`` (the last
N hours, default 3). One indexed query per board version and key. Places the gazetteer does not
place on the map are listed under ``unplaced`` so that the counts still add up to ``total``.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from api.caching import cached_answer
from api.keys import BOARD, SETTINGS, STORE_ANSWERS
from api.lookup import max_age, require_service
from api.params import bad_parameter, parse_int, single_values, time_range
from api.places import mapped_places
from api.representation import Representation
from api.store_access import STORE_ERRORS, pool_of, store_failed
from downwatch.store.map_queries import place_totals

DEFAULT_HOURS = 3
MAX_HOURS = 48
MAX_SERVICE_SPAN = timedelta(days=31)
MAX_ALL_SPAN = timedelta(hours=MAX_HOURS)
PLACE_LIMIT = 500


async def get_locations(request: web.Request) -> web.Response:
    app = request.app
    board = app[BOARD]
    bucket = app[SETTINGS].bucket_seconds
    query = single_values(request.query, ("service", "from", "to", "hours"))
    service = require_service(board, query["service"]).slug if "service" in query else None
    if "hours" in query and ("from" in query or "to" in query):
        raise bad_parameter("hours", "give either hours or from/to, not both")
    hours = parse_int("hours", query.get("hours"), default=DEFAULT_HOURS, low=1, high=MAX_HOURS)
    start, end = time_range(query, board.published_at, bucket, timedelta(hours=hours))
    longest = MAX_ALL_SPAN if service is None else MAX_SERVICE_SPAN
    if end - start > longest:
        raise bad_parameter("from", f"from..to spans more than {longest}; choose a shorter range"
                            + ("" if service else " or one service"))
    pool = pool_of(request)

    async def build() -> Representation:
        try:
            rows = await place_totals(pool, service, start, end, PLACE_LIMIT)
        except STORE_ERRORS as exc:
            raise store_failed(exc) from exc
        known = mapped_places()
        places, unplaced = [], []
        for row in rows:
            place = known.get(row["location"])
            if place is None:
                unplaced.append({"name": row["location"], "n": row["n"]})
            else:
                places.append({"name": place.name, "kind": place.kind, "country": place.country,
                               "lat": place.lat, "lon": place.lon, "n": row["n"]})
        document = {"service": service, "from": start, "to": end, "bucket_seconds": bucket,
                    "total": sum(row["n"] for row in rows), "places": places, "unplaced": unplaced}
        return Representation.of(document, board.published_at)

    answer = await app[STORE_ANSWERS].get(board.version, ("dashboard-locations", service, start, end), build)
    return cached_answer(request, answer, max_age(app))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard/data/locations", get_locations)
