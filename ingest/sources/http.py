"""One careful HTTP GET for every polling source: bounded time, bounded size, status mapped to the
errors in ``ingest.sources.base``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
import orjson

from downwatch import __version__
from ingest.sources.backoff import parse_retry_after
from ingest.sources.base import (
    MalformedPayload,
    RateLimited,
    ServerError,
    UpstreamRefused,
    UpstreamTimeout,
)

USER_AGENT = f"downwatch/{__version__} (+https://github.com/downwatch/downwatch; outage detector)"
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    headers: Mapping[str, str]
    content_type: str


def raise_for_status(url: str, status: int, headers: Mapping[str, str]) -> None:
    """Raise the ``UpstreamError`` that an HTTP status means (nothing for 1xx-3xx)."""
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if status == 429:
        raise RateLimited(f"{url}: 429 Too Many Requests", retry_after=retry_after)
    if status >= 500:
        raise ServerError(f"{url}: HTTP {status}", retry_after=retry_after)
    if status >= 400:
        raise UpstreamRefused(f"{url}: HTTP {status}", retry_after=retry_after)


async def read_capped(response: aiohttp.ClientResponse, url: str, max_bytes: int) -> bytes:
    """The whole body, refusing more than ``max_bytes``; a body cut short raises ``ClientPayloadError``."""
    parts: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise MalformedPayload(f"{url}: body larger than {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


async def http_get(session: aiohttp.ClientSession, url: str, *,
                   params: Mapping[str, str] | None = None,
                   headers: Mapping[str, str] | None = None,
                   timeout: float = 20.0, max_bytes: int = DEFAULT_MAX_BYTES) -> HttpAnswer:
    """GET ``url``; 2xx answers come back, everything else raises an ``UpstreamError``."""
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        async with session.get(url, params=params, headers=sent,
                               timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            raise_for_status(url, response.status, response.headers)
            announced = response.content_length
            if announced is not None and announced > max_bytes:
                raise MalformedPayload(f"{url}: body larger than {max_bytes} bytes ({announced} announced)")
            body = await read_capped(response, url, max_bytes)
            return HttpAnswer(response.status, body, response.headers, response.content_type)
    except TimeoutError as exc:
        raise UpstreamTimeout(f"{url}: no answer within {timeout:g} s") from exc
    except aiohttp.ClientPayloadError as exc:
        raise UpstreamTimeout(f"{url}: connection dropped mid-body ({exc})") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamTimeout(f"{url}: {type(exc).__name__}: {exc}") from exc


def decode_json(body: bytes, what: str) -> object:
    """JSON from raw bytes, or ``MalformedPayload`` naming what was expected and what came."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        start = body[:60].lstrip().lower()
        if start.startswith((b"<!doctype html", b"<html")):
            raise MalformedPayload(f"{what}: got an HTML page instead of JSON") from exc
        if isinstance(exc.__cause__, UnicodeDecodeError) or "utf-8" in str(exc).lower():
            raise MalformedPayload(f"{what}: body is not valid UTF-8") from exc
        raise MalformedPayload(f"{what}: not valid JSON ({exc})") from exc
