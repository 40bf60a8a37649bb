"""RFC 9457 problem details: every error the API answers, in one shape."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from downwatch.errors import DownwatchError

PROBLEM_TYPE_BASE = "/docs#problem-"  # each type is explained on the docs page, under this anchor
PROBLEM_CONTENT_TYPE = "application/problem+json"

PROBLEM_TYPES: tuple[tuple[str, str], ...] = (
    ("bad-request", "The request cannot be understood as sent."),
    ("malformed-json", "The body is not valid JSON (or is nested too deeply)."),
    ("invalid-parameter", "A query or path parameter is unknown, repeated, or has a wrong value; "
                          "`parameter` names it."),
    ("invalid-field", "A body field is unknown, missing, or has a wrong type or value; `field` names it."),
    ("invalid-input", "The body or a value cannot be used as given."),
    ("not-found", "No such service (`closest` lists the nearest slugs) or route."),
    ("method-not-allowed", "The route exists but not for this method; see the Allow header."),
    ("body-too-large", "The body is larger than max_body_bytes."),
    ("unsupported-media-type", "Send application/json."),
    ("expectation-failed", "The Expect header asks for something other than 100-continue."),
    ("rate-limited", "Too many reports; `limit` says which limit, Retry-After says when to retry."),
    ("unauthorized", "An admin route needs Authorization: Bearer <admin token>."),
    ("forbidden", "Admin routes are disabled (no admin token configured)."),
    ("conflict", "A catalog name, alias, domain or handle already belongs to another service."),
    ("store-unavailable", "The database cannot be reached, or this process runs without one; "
                          "see Retry-After."),
    ("configuration", "The server's configuration is wrong."),
    ("internal", "An unexpected error; it has been logged."),
)

HTTP_TITLES = {
    400: ("Bad request", "bad-request"),
    401: ("Unauthorized", "unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    406: ("Not acceptable", "not-acceptable"),
    413: ("Request body too large", "body-too-large"),
    415: ("Unsupported media type", "unsupported-media-type"),
    417: ("Expectation failed", "expectation-failed"),
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
