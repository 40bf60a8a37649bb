"""The Statuspage-compatible summary of one service, at two paths:
``/v1/services/{slug}/statuspage.json`` and ``/v1/statuspage/{slug}/api/v2/summary.json`` (so tools
that append ``/api/v2/summary.json`` to a page's base URL can use ``/v1/statuspage/{slug}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from api.caching import cached_answer
from api.keys import BOARD, SETTINGS
from api.lookup import max_age, require_service
from api.params import single_values
from api.statuspage_summary import summary


async def get_summary(request: web.Request) -> web.Response:
    app = request.app
    board = app[BOARD]
    service = require_service(board, request.match_info["slug"])
    single_values(request.query, ())
    verdict_answer = board.verdict_answer(service.slug)
    assert verdict_answer is not None
    page_url = f"{app[SETTINGS].base_url()}/v1/services/{service.slug}"

    def build() -> tuple[Any, datetime]:
        return (summary(service, board.verdict(service.slug), page_url, verdict_answer.last_modified),
                verdict_answer.last_modified)

    answer = board.derived(("statuspage", service.slug, page_url), build)
    return cached_answer(request, answer, max_age(app))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/services/{slug}/statuspage.json", get_summary)
    app.router.add_get("/v1/statuspage/{slug}/api/v2/summary.json", get_summary)
