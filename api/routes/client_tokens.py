"""``POST /v1/client-tokens``: a signed token that lets one of several people behind one network
(carrier-grade NAT) count as an identity of their own (``api.client_tokens``, docs/sybil.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from aiohttp import web

from api.client_identity import TOKEN_HEADER
from api.client_tokens import CLIENT_TOKENS, ClientTokens
from api.keys import CLIENTS, SETTINGS
from downwatch.errors import DownwatchError


async def post_client_token(request: web.Request) -> web.Response:
    app = request.app
    network = app[CLIENTS].network_hash(request)
    issued = app[CLIENT_TOKENS].issue(network)
    if isinstance(issued, int):
        raise DownwatchError(f"this network was issued its share of client tokens; try again in {issued} s",
                             status=429, title="Too many requests", type_slug="rate-limited",
                             headers={"Retry-After": str(issued)}, extra={"limit": "client-tokens"})
    token, expires = issued
    document = {"token": token, "header": TOKEN_HEADER,
                "expires_at": datetime.fromtimestamp(expires, tz=UTC),
                "slots_per_network": app[SETTINGS].client_token_slots}
    return web.Response(status=201, body=orjson.dumps(document, option=orjson.OPT_UTC_Z),
                        content_type="application/json", headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app[CLIENT_TOKENS] = ClientTokens(app[CLIENTS], app[SETTINGS].client_tokens_per_network_per_hour)
    app.router.add_post("/v1/client-tokens", post_client_token)
