"""``GET /v1/stream``: server-sent events, one ``verdict`` event per changed verdict.

On connect the client gets the current verdicts (filtered by ``?service=``) as ``verdict`` events,
unless it sends ``Last-Event-ID`` and the board still holds every event after that id, in which case
it gets exactly the events it missed. Only status changes are sent unless ``?scores=true``.
A comment line is sent every heartbeat; the server ends a stream after its lifetime or when the
client falls too far behind (the browser's EventSource reconnects with ``Last-Event-ID``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from aiohttp import web

from api.board import BoardEvent, Subscription, VerdictBoard
from api.keys import BOARD, CORS, TUNING
from api.lookup import require_service
from api.params import parse_bool, single_values

PARAMETERS = ("service", "scores")
RETRY_MILLISECONDS = 5000


def event_bytes(event_id: int, data: bytes) -> bytes:
    return b"id: %d\nevent: verdict\ndata: %s\n\n" % (event_id, data)


def _wanted(event: BoardEvent, services: frozenset[str] | None, scores: bool) -> bool:
    if services is not None and event.service not in services:
        return False
    return scores or event.status_changed


def _catch_up(board: VerdictBoard, last_event_id: str | None, services: frozenset[str] | None,
              scores: bool) -> Iterable[bytes]:
    missed = None
    if last_event_id is not None and last_event_id.strip().isdigit():
        missed = board.events_after(int(last_event_id.strip()))
    if missed is not None:
        return [event_bytes(e.id, e.data) for e in missed if _wanted(e, services, scores)]
    current_id = board.last_event_id
    slugs = services if services is not None else [s.slug for s in board.services()]
    snapshot = []
    for slug in sorted(slugs):
        answer = board.verdict_answer(slug)
        if answer is not None:
            snapshot.append(event_bytes(current_id, answer.body))
    return snapshot


async def stream(request: web.Request) -> web.StreamResponse:
    app = request.app
    board = app[BOARD]
    tuning = app[TUNING]
    query = single_values(request.query, PARAMETERS)
    services: frozenset[str] | None = None
    if "service" in query:
        services = frozenset(require_service(board, slug).slug for slug in query["service"].split(","))
    scores = parse_bool("scores", query.get("scores"))
    subscription = board.subscribe()
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    app[CORS].decorate(request, response)
    try:
        await response.prepare(request)
        await response.write(b"retry: %d\n\n" % RETRY_MILLISECONDS)
        for chunk in _catch_up(board, request.headers.get("Last-Event-ID"), services, scores):
            await response.write(chunk)
        await _follow(response, subscription, services, scores, tuning.heartbeat_seconds,
                      time.monotonic() + tuning.stream_lifetime_seconds)
    except ConnectionResetError:
        pass  # the client went away
    finally:
        subscription.close()
    return response


async def _follow(response: web.StreamResponse, subscription: Subscription, services: frozenset[str] | None,
                  scores: bool, heartbeat_seconds: float, deadline: float) -> None:
    while not subscription.lagging:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        try:
            event = await asyncio.wait_for(subscription.queue.get(), min(heartbeat_seconds, remaining))
        except TimeoutError:
            await response.write(b": heartbeat\n\n")
            continue
        if event is None:
            return
        if _wanted(event, services, scores):
            await response.write(event_bytes(event.id, event.data))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/stream", stream)
