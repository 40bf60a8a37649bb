"""RFC 9457 problem details: every error the API answers, in one shape."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from downwatch.errors import DownwatchError

PROBLEM_TYPE_BASE = "https://downwatch.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

HTTP_TITLES = {
    400: ("Bad request", "bad-request"),
    401: ("Unauthorized", "unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    406: ("Not acceptable", "not-acceptable"),
    413: ("Request body too large", "body-too-large"),
    415: ("Unsupported media type", "unsupported-media-type"),
    422: ("Unprocessable content", "invalid-field"),
    429: ("Too many requests", "rate-limited"),
    500: ("Internal server error", "internal"),
    503: ("Service unavailable", "unavailable"),
}


def problem_response(status: int, detail: str, *, title: str | None = None, type_slug: str | None = None,
                     instance: str | None = None, extra: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None) -> web.Response:
    default_title, default_slug = HTTP_TITLES.get(status, ("Error", "error"))
    document: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (type_slug or default_slug),
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        document["instance"] = instance
    for key, value in (extra or {}).items():
        document.setdefault(key, value)
    response = web.Response(status=status, body=orjson.dumps(document), headers=headers,
                            content_type=PROBLEM_CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def from_downwatch_error(error: DownwatchError, instance: str) -> web.Response:
    return problem_response(error.status, error.detail, title=error.title, type_slug=error.type_slug,
                            instance=instance, extra=error.extra, headers=error.headers)


def from_http_exception(error: web.HTTPException, instance: str) -> web.Response:
    status = error.status
    detail = error.text if error.text and not error.text.startswith(f"{status}:") else error.reason
    headers = {key: value for key, value in error.headers.items()
               if key.lower() in ("allow", "retry-after", "www-authenticate", "location")}
    return problem_response(status, detail or error.reason, instance=instance, headers=headers)
