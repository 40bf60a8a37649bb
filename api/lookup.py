"""Finding a service on the board, or a 404 problem that names the closest slugs."""

from __future__ import annotations

import time

from aiohttp import web

from api.board import VerdictBoard
from api.keys import BOARD
from downwatch.catalog import Catalog
from downwatch.errors import NotFound
from downwatch.records import Service


def require_service(board: VerdictBoard, slug: str) -> Service:
    service = board.service(slug)
    if service is None:
        raise unknown_service(board, slug)
    return service


def unknown_service(board: VerdictBoard, slug: str) -> NotFound:
    catalog = Catalog.from_services(list(board.services()))
    try:
        catalog.require(slug)
    except NotFound as error:
        return error
    return NotFound(f"no service {slug!r}")


def max_age(app: web.Application) -> int:
    """Seconds until the next detector tick is due (at least 1), so caches never keep an answer
    much past the tick that replaces it."""
    return max(1, int(app[BOARD].next_tick_due - time.monotonic()))
