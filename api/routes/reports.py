"""``POST /v1/reports``: a user's report, answered 202 only once it is committed to the store.

An identity — the client's network (IPv4 /24, IPv6 /64) or a client token bound to it, never the
User-Agent (``api.client_identity``) — counts once per service per window; its further reports are
stored but answered 202 with ``"counted": false``. The report's id is derived from (address,
User-Agent, identity, service, window), so a retry after a lost answer is stored once and not
counted again. Windows are fixed, aligned to the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from aiohttp import web

from api.client_identity import TOKEN_HEADER
from api.client_tokens import CLIENT_TOKENS
from api.keys import BOARD, CLIENTS, CLOCK, METRICS, REPORT_LIMITER, REPORT_WRITER, SETTINGS
from api.lookup import unknown_service
from api.report_body import parse_report
from api.request_body import read_body
from api.store_access import no_store
from downwatch.errors import DownwatchError, InputError
from ingest.sources.reports import report_observation
from ingest.sources.structured import observation_signal

JSON_TYPES = ("application/json", "application/problem+json")


def _check_content_type(request: web.Request) -> None:
    if request.headers.get("Content-Type") is None:
        return
    if request.content_type not in JSON_TYPES and not request.content_type.endswith("+json"):
        raise InputError(f"send the report as application/json, not {request.content_type}",
                         status=415, title="Unsupported media type", type_slug="unsupported-media-type")


def _token_of(request: web.Request) -> tuple[str | None, int]:
    """(token id, slots) for a valid client token issued to this network; (None, 0) otherwise — a
    missing, malformed, expired or foreign token leaves the report to its network."""
    token = request.headers.get(TOKEN_HEADER)
    tokens = request.app.get(CLIENT_TOKENS)
    if not token or tokens is None:
        return None, 0
    token_id = tokens.verify(token, request.app[CLIENTS].network_hash(request))
    slots = request.app[SETTINGS].client_token_slots
    return (token_id, slots) if token_id is not None and slots else (None, 0)


async def post_report(request: web.Request) -> web.Response:
    app = request.app
    metrics = app[METRICS]
    try:
        return await _accept(request)
    except DownwatchError as error:
        metrics.reports.inc(error.type_slug)
        raise
    except web.HTTPRequestEntityTooLarge:
        metrics.reports.inc("body-too-large")
        raise


async def _accept(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    _check_content_type(request)
    clients = app[CLIENTS]
    keys = clients.report_keys(request, *_token_of(request))
    retry_after, which = app[REPORT_LIMITER].check(keys.identity, keys.network)
    if retry_after:
        raise DownwatchError(f"too many reports ({which} limit); try again in {retry_after} s", status=429,
                             title="Too many requests", type_slug="rate-limited",
                             headers={"Retry-After": str(retry_after)}, extra={"limit": which})
    report = parse_report(await read_body(request))
    board = app[BOARD]
    if board.service(report.service) is None:
        raise unknown_service(board, report.service)
    writer = app.get(REPORT_WRITER)
    if writer is None:
        raise no_store()
    now = app[CLOCK].now()
    window = settings.report_window_seconds
    window_index = int(now.timestamp()) // window
    scope = f"{report.service}\n{window_index}"
    report_id = "r" + clients.keyed_hash(f"report\n{keys.row}\n{scope}")
    observation = report_observation(report.service, report.problem, report.location, keys.identity,
                                     now, report_id)
    claims = {"identity": clients.keyed_hash(f"claim-identity\n{keys.identity}\n{scope}"),
              "network": clients.keyed_hash(f"claim-network\n{keys.network}\n{scope}"),
              "slots": keys.token_slot_limit}
    signal = observation_signal(observation, author=keys.identity, location=observation.location,
                                evidence={"claims": claims})
    counted = await writer.submit(signal)
    app[METRICS].reports.inc("counted" if counted else "duplicate")
    window_ends = datetime.fromtimestamp((window_index + 1) * window, tz=UTC)
    document = {"id": report_id, "service": report.service, "problem": report.problem,
                "location": observation.location, "counted": counted, "window_ends_at": window_ends}
    return web.Response(status=202, body=orjson.dumps(document, option=orjson.OPT_UTC_Z),
                        content_type="application/json", headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/reports", post_report)
