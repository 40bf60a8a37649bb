"""CORS for the public API: simple requests get the allow-origin header, preflights a 204."""

from __future__ import annotations

from collections.abc import Collection

from aiohttp import web

PUBLIC_PREFIX = "/v1/"
PRIVATE_PREFIX = "/v1/admin/"
ALLOWED_HEADERS = "Content-Type, If-None-Match, If-Modified-Since, Last-Event-ID"
EXPOSED_HEADERS = "ETag, Last-Modified, Retry-After, Location"
PREFLIGHT_MAX_AGE = "86400"


class CorsPolicy:
    def __init__(self, origins: Collection[str]) -> None:
        self._any = "*" in origins
        self._origins = frozenset(origins)

    def allowed_origin(self, request: web.BaseRequest) -> str | None:
        path = request.path
        if not path.startswith(PUBLIC_PREFIX) or path.startswith(PRIVATE_PREFIX):
            return None
        origin = request.headers.get("Origin")
        if origin is None:
            return None
        if self._any:
            return "*"
        return origin if origin in self._origins else None

    def decorate(self, request: web.BaseRequest, response: web.StreamResponse) -> None:
        origin = self.allowed_origin(request)
        if origin is None:
            return
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if origin != "*":
            response.headers.add("Vary", "Origin")

    def preflight(self, request: web.BaseRequest, allowed_methods: Collection[str]) -> web.Response | None:
        """The answer to a CORS preflight, or None when the request is not one we allow."""
        wanted = request.headers.get("Access-Control-Request-Method")
        if wanted is None or self.allowed_origin(request) is None:
            return None
        methods = sorted({m for m in allowed_methods if m in ("GET", "HEAD", "POST")})
        if wanted not in methods:
            return None
        return web.Response(status=204, headers={
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        })
