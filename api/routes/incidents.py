"""``GET /v1/incidents``: active and past incidents, filtered and paged, read once per board version."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.caching import cached_answer
from api.keys import BOARD, STORE_ANSWERS
from api.lookup import max_age, require_service
from api.params import bad_parameter, parse_choice, parse_int, parse_time, single_values
from api.representation import Representation
from api.store_access import STORE_ERRORS, pool_of, store_failed
from downwatch.store.api_queries import incidents

PARAMETERS = ("service", "status", "from", "to", "limit", "offset")
STATUS_CHOICES = ("active", "resolved")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 100_000


COLUMNS = ("id", "service", "status", "severity", "started_at", "detected_at", "peak_at", "peak_count",
           "ended_at")
"""Each incident field appears once: these from the row's columns ..."""
BODY_FIELDS = ("problems", "locations")
"""... and these from its JSON body (the rest of the body repeats the columns)."""


def incident_entry(row: dict[str, Any]) -> dict[str, Any]:
    body = row.get("body")
    body = body if isinstance(body, dict) else {}
    entry = {name: row[name] for name in COLUMNS}
    for name in BODY_FIELDS:
        value = body.get(name)
        entry[name] = value if isinstance(value, dict) else {}
    return entry


async def list_incidents(request: web.Request) -> web.Response:
    app = request.app
    board = app[BOARD]
    query = single_values(request.query, PARAMETERS)
    service = query.get("service")
    if service is not None:
        require_service(board, service)
    status = parse_choice("status", query.get("status"), STATUS_CHOICES)
    start = parse_time("from", query.get("from"))
    end = parse_time("to", query.get("to"))
    if start is not None and end is not None and start >= end:
        raise bad_parameter("from", "from must be earlier than to")
    limit = parse_int("limit", query.get("limit"), default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    offset = parse_int("offset", query.get("offset"), default=0, low=0, high=MAX_OFFSET)
    pool = pool_of(request)

    async def build() -> Representation:
        try:
            rows = await incidents(pool, service=service, status=status, start=start, end=end,
                                   limit=limit + 1, offset=offset)
        except STORE_ERRORS as exc:
            raise store_failed(exc) from exc
        entries = [incident_entry(row) for row in rows[:limit]]
        next_offset = offset + limit if len(rows) > limit else None
        document = {"incidents": entries, "count": len(entries), "limit": limit, "offset": offset,
                    "next_offset": next_offset, "as_of": board.published_at}
        return Representation.of(document, board.published_at)

    key = ("incidents", service, status, start, end, limit, offset)
    answer = await app[STORE_ANSWERS].get(board.version, key, build)
    return cached_answer(request, answer, max_age(app))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/incidents", list_incidents)
