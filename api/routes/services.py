"""``GET /v1/services`` (the catalog with each status) and ``GET /v1/services/{slug}`` (a verdict)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from api.board import VerdictBoard, listing_entry
from api.caching import cached_answer
from api.keys import BOARD
from api.lookup import max_age, unknown_service
from api.params import parse_choice, parse_text, single_values
from downwatch.records import Status

LIST_PARAMETERS = ("status", "category", "country", "q")
STATUS_CHOICES = tuple(status.value for status in Status)


def _matches(text: str, *fields: str) -> bool:
    return any(text in field.casefold() for field in fields)


def build_listing(board: VerdictBoard, status: str | None, category: str | None, country: str | None,
                  q: str | None) -> tuple[dict[str, Any], datetime]:
    entries = []
    changed_at = board.published_at
    needle = q.casefold().strip() if q else None
    newest: datetime | None = None
    for service in board.services():
        verdict = board.verdict(service.slug)
        if status and verdict["status"] != status:
            continue
        if category and service.category != category:
            continue
        if country and service.country.casefold() != country.casefold():
            continue
        if needle and not _matches(needle, service.slug, service.name, *service.aliases):
            continue
        entries.append(listing_entry(service, verdict))
        answer = board.verdict_answer(service.slug)
        if answer is not None and (newest is None or answer.last_modified > newest):
            newest = answer.last_modified
    document = {"services": entries, "count": len(entries), "updated_at": board.published_at}
    return document, newest or changed_at


async def list_services(request: web.Request) -> web.Response:
    query = single_values(request.query, LIST_PARAMETERS)
    status = parse_choice("status", query.get("status"), STATUS_CHOICES)
    category = parse_text("category", query.get("category"), max_length=40)
    country = parse_text("country", query.get("country"), max_length=20)
    q = parse_text("q", query.get("q"), max_length=100)
    board = request.app[BOARD]
    answer = board.derived(("services", status, category, country, q),
                           lambda: build_listing(board, status, category, country, q))
    return cached_answer(request, answer, max_age(request.app))


async def get_service(request: web.Request) -> web.Response:
    app = request.app
    board = app[BOARD]
    slug = request.match_info["slug"]
    answer = board.verdict_answer(slug)
    if answer is None:
        raise unknown_service(board, slug)
    if request.query_string:
        single_values(request.query, ())
    return cached_answer(request, answer, max_age(app))


def add_routes(app: web.Application) -> None:
    # the verdict route first: it is the hot one, and both share the router's "/v1/services" bucket
    app.router.add_get("/v1/services/{slug}", get_service)
    app.router.add_get("/v1/services", list_services)
