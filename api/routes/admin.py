"""Admin routes, behind ``Authorization: Bearer <settings.admin_token>``:
``PUT /v1/admin/services/{slug}`` (a catalog entry stored in the ``services`` table, overriding the
bundled one) and ``POST /v1/admin/sources/{name}/pause`` / ``.../resume``."""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from api.board import VerdictBoard
from api.keys import BOARD, CATALOG_EDIT_LISTENERS, SETTINGS
from api.request_body import read_body
from api.store_access import STORE_ERRORS, pool_of, store_failed
from downwatch.catalog import SERVICE_KEYS, parse_services
from downwatch.errors import ConfigError, DownwatchError, InputError, StoreUnavailable
from downwatch.records import Service
from downwatch.store.health import set_paused
from downwatch.store.services import upsert_admin_service

MAX_SLUG_CHARS = 64
ENTRY_FIELDS = tuple(key for key in SERVICE_KEYS if key != "slug")
SOURCE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def require_admin(request: web.Request) -> None:
    token = request.app[SETTINGS].admin_token
    if not token:
        raise DownwatchError("admin routes are disabled: no admin_token is configured", status=403,
                             title="Forbidden", type_slug="forbidden")
    given = request.headers.get("Authorization", "")
    scheme, _, credentials = given.partition(" ")
    # aiohttp keeps header bytes that are not UTF-8 as lone surrogates; they can never match.
    offered = credentials.strip().encode("utf-8", "surrogateescape")
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered, token.encode()):
        raise DownwatchError("a valid 'Authorization: Bearer <admin token>' header is required",
                             status=401, title="Unauthorized", type_slug="unauthorized",
                             headers={"WWW-Authenticate": 'Bearer realm="downwatch-admin"'})


def service_from_json(slug: str, body: bytes) -> Service:
    """Validate an entry with the catalog's own rules (by writing it as one catalog TOML entry)."""
    try:
        entry: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the body is not valid JSON: {exc}", title="Malformed JSON",
                         type_slug="malformed-json") from None
    if not isinstance(entry, dict):
        raise InputError("the body must be a JSON object with the service's fields", status=422)
    lines = ["[[service]]", f"slug = {orjson.dumps(slug).decode()}"]
    for key, value in entry.items():
        if key not in ENTRY_FIELDS:
            raise InputError(f"unknown field {key!r}; allowed: {', '.join(ENTRY_FIELDS)} "
                             "(the slug comes from the path)", status=422, extra={"field": key})
        if value is None and key != "status_page":
            raise InputError(f"{key} must not be null", status=422, extra={"field": key})
        if any("\x00" in text for text in (value if isinstance(value, list) else [value])
               if isinstance(text, str)):
            raise InputError(f"{key} contains a NUL character", status=422, extra={"field": key})
        if value is not None:
            lines.append(f"{key} = {orjson.dumps(value).decode()}")
    try:
        [service] = parse_services("\n".join(lines), "the request body")
    except ConfigError as exc:
        raise InputError(exc.detail, status=422, title="Invalid service") from None
    return service


def conflict(board: VerdictBoard, service: Service) -> DownwatchError | None:
    """A 409 when a name, alias, domain or handle already belongs to another service."""
    def terms(entry: Service) -> set[tuple[str, str]]:
        return ({("name or alias", term.casefold()) for term in (entry.name, *entry.aliases)}
                | {("domain", domain) for domain in entry.domains}
                | {("handle", handle.casefold()) for handle in entry.handles})

    wanted = terms(service)
    for other in board.services():
        if other.slug != service.slug and (shared := wanted & terms(other)):
            kind, term = sorted(shared)[0]
            return DownwatchError(f"{kind} {term!r} already belongs to {other.slug}; keep it on one service",
                                  status=409, title="Conflict", type_slug="conflict",
                                  extra={"field": kind.split()[0], "closest": [other.slug]})
    return None


async def put_service(request: web.Request) -> web.Response:
    require_admin(request)
    slug = request.match_info["slug"]
    if len(slug) > MAX_SLUG_CHARS:
        raise InputError(f"a slug is at most {MAX_SLUG_CHARS} characters", extra={"parameter": "slug"})
    service = service_from_json(slug, await read_body(request))
    board = request.app[BOARD]
    if (error := conflict(board, service)) is not None:
        raise error
    try:
        await upsert_admin_service(pool_of(request), service)
    except STORE_ERRORS as exc:
        raise store_failed(exc) from exc
    board.put_service(service, datetime.now(UTC))
    for listener in request.app[CATALOG_EDIT_LISTENERS]:
        try:
            await listener(service)
        except Exception as exc:  # stored, but the other processes have not heard: PUT is idempotent
            raise StoreUnavailable(
                f"the entry is stored but could not be shared with the other API processes "
                f"({type(exc).__name__}); repeat the PUT", headers={"Retry-After": "2"}) from exc
    document = {"slug": service.slug, "name": service.name, "country": service.country,
                "category": service.category, "aliases": list(service.aliases),
                "domains": list(service.domains), "handles": list(service.handles),
                "status_page": service.status_page}
    return web.json_response(document, dumps=lambda doc: orjson.dumps(doc).decode())


async def control_source(request: web.Request) -> web.Response:
    require_admin(request)
    name, action = request.match_info["name"], request.match_info["action"]
    if not SOURCE_NAME.fullmatch(name):
        raise InputError("a source name is 1 to 64 letters, digits, '_', '.' or '-'",
                         extra={"parameter": "name"})
    try:
        await set_paused(pool_of(request), name, action == "pause")
    except STORE_ERRORS as exc:
        raise store_failed(exc) from exc
    return web.json_response({"source": name, "paused": action == "pause"})


def add_routes(app: web.Application) -> None:
    app.router.add_put("/v1/admin/services/{slug}", put_service)
    app.router.add_post(r"/v1/admin/sources/{name}/{action:pause|resume}", control_source)
