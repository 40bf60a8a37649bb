"""Answering a GET from a pre-serialised representation, honouring conditional requests."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from functools import lru_cache

from aiohttp import web

from api.representation import Representation

JSON = "application/json"


@lru_cache(maxsize=256)
def cache_control(max_age: int) -> str:
    return f"public, max-age={max_age}, stale-while-revalidate={max_age * 2}"


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    weak = etag[1:-1]
    return any(candidate.strip().removeprefix("W/").strip('"') == weak for candidate in header.split(","))


def is_fresh(request: web.BaseRequest, answer: Representation) -> bool:
    """True when the client's copy (If-None-Match, else If-Modified-Since) is current."""
    headers = request.headers
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, answer.etag)
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            return False
        return answer.last_modified <= since
    return False


def cached_answer(request: web.BaseRequest, answer: Representation, max_age: int,
                  content_type: str = JSON) -> web.Response:
    headers = {"ETag": answer.etag, "Last-Modified": answer.last_modified_http,
               "Cache-Control": cache_control(max_age)}
    if is_fresh(request, answer):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = content_type
    return web.Response(body=answer.body, headers=headers)
