"""Mastodon: public and hashtag timelines over REST (``min_id`` paging forward from the cursor),
and the public streaming API (server-sent events) where configured. HTML is stripped from content."""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import aiohttp

from downwatch.records import Kind, Observation
from ingest.sources.base import Cursor, FetchResult, MalformedPayload, Parsed, UpstreamTimeout
from ingest.sources.http import USER_AGENT, decode_json, http_get, raise_for_status
from ingest.sources.session import HttpSource
from ingest.sources.values import ItemError, convert_each, optional_str, parse_time, require_dict, require_str
from ingest.text.html_text import html_to_text

SOURCE_NAME = "mastodon"
PAGE_LIMIT = 40
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([a-z]+)"?')


def _id_key(status_id: str) -> tuple[int, str]:
    return (len(status_id), status_id)


def newest_id(ids: list[str]) -> str | None:
    """The newest of Mastodon's (numeric-string, time-ordered) ids."""
    return max(ids, key=_id_key) if ids else None


def status_observation(item: Any, source: str = SOURCE_NAME) -> Observation:
    status = require_dict(item, "status")
    status_id = require_str(status, "id")
    created = parse_time(status.get("created_at"), "created_at")
    account = status.get("account")
    author = optional_str(account, "acct") if isinstance(account, dict) else None
    reblog = status.get("reblog")
    shown = status
    repost_of = None
    if isinstance(reblog, dict):
        shown = reblog
        repost_of = optional_str(reblog, "uri") or optional_str(reblog, "url") or optional_str(reblog, "id")
    quote_of = status.get("quote")
    if repost_of is None and isinstance(quote_of, dict):
        repost_of = optional_str(quote_of, "uri") or optional_str(quote_of, "url")
    content = shown.get("content")
    if not isinstance(content, str):
        raise ItemError("field 'content' missing or not a string")
    text = html_to_text(content)
    warning = optional_str(shown, "spoiler_text")
    if warning:
        text = f"{warning}\n{text}"
    return Observation(
        source=source, external_id=status_id, observed_at=created, text=text, author=author,
        url=optional_str(status, "url") or optional_str(status, "uri"), kind=Kind.POST, repost_of=repost_of,
        fields={"language": optional_str(shown, "language")},
    )


def parse_statuses(payload: Any, source: str = SOURCE_NAME) -> Parsed:
    """Observations from a timeline answer (a JSON array of statuses), its raw bytes, or a list of
    such arrays (one per timeline polled)."""
    if isinstance(payload, bytes | bytearray):
        payload = decode_json(bytes(payload), "Mastodon timeline")
    if not isinstance(payload, list):
        raise MalformedPayload(f"Mastodon timeline: expected a JSON array, got {type(payload).__name__}")
    pages = payload if payload and all(isinstance(p, list) for p in payload) else [payload]
    observations: list[Observation] = []
    skipped: list[str] = []
    convert = partial(status_observation, source=source)
    for page in pages:
        observations += convert_each(page, convert, "Mastodon status", skipped)
    return Parsed(observations, skipped)


def link_min_id(link_header: str | None) -> str | None:
    """The ``min_id`` of the ``rel="prev"`` link (the page after the newest we have), if any."""
    for url, rel in _LINK.findall(link_header or ""):
        if rel == "prev":
            values = parse_qs(urlsplit(url).query).get("min_id")
            if values:
                return values[0]
    return None


def timeline_paths(local: bool, public: bool, hashtags: list[str]) -> dict[str, str]:
    """Cursor key → REST path for each configured timeline."""
    paths: dict[str, str] = {}
    if public:
        paths["public"] = "/api/v1/timelines/public"
    if local:
        paths["local"] = "/api/v1/timelines/public?local=true"
    for tag in hashtags:
        paths[f"tag/{tag}"] = f"/api/v1/timelines/tag/{quote(tag, safe='')}"
    return paths


class MastodonSource(HttpSource):
    """Polls the timelines; the cursor is the newest status id seen per timeline."""

    def __init__(self, base_url: str, timelines: dict[str, str], *, name: str = SOURCE_NAME,
                 access_token: str | None = None, poll_seconds: float = 30.0,
                 timeout: float = 20.0, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.name = name
        self.poll_seconds = poll_seconds
        self._base = base_url.rstrip("/")
        self._timelines = timelines
        self._headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        self._timeout = timeout
        self._max_bytes = max_bytes

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        since: dict[str, str] = dict((cursor or {}).get("min_id", {}))
        pages: list[Any] = []
        more = False
        for key, path in self._timelines.items():
            path_only, _, query = path.partition("?")
            params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
            params["limit"] = str(PAGE_LIMIT)
            if key in since:
                params["min_id"] = since[key]
            answer = await http_get(self.session(), f"{self._base}{path_only}", params=params,
                                    headers=self._headers, timeout=self._timeout, max_bytes=self._max_bytes)
            page = decode_json(answer.body, f"Mastodon {key}")
            if not isinstance(page, list):
                raise MalformedPayload(f"Mastodon {key}: expected a JSON array, got {type(page).__name__}")
            ids = [item["id"] for item in page if isinstance(item, dict) and isinstance(item.get("id"), str)]
            newest = newest_id([*ids, *([since[key]] if key in since else [])])
            linked = link_min_id(answer.headers.get("Link")) if ids else None
            if linked is not None and newest is not None:
                newest = newest_id([linked, newest])
            if newest is not None:
                since[key] = newest
            more = more or len(page) >= PAGE_LIMIT
            pages.append(page)
        return FetchResult(payload=pages, cursor={"min_id": since}, more=more)

    def parse(self, payload: Any) -> Parsed:
        return parse_statuses(payload, self.name)


def parse_sse(buffer: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Complete server-sent events in ``buffer`` as (event, data), and the unfinished rest."""
    events: list[tuple[str, str]] = []
    normalised = buffer.replace(b"\r\n", b"\n")
    *blocks, rest = normalised.split(b"\n\n")
    for block in blocks:
        event, data_lines = "message", []
        for raw in block.split(b"\n"):
            line = raw.decode("utf-8", errors="replace")
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data_lines.append(value)
        if data_lines:
            events.append((event, "\n".join(data_lines)))
    return events, rest


def parse_stream_updates(payload: Any, source: str = SOURCE_NAME) -> Parsed:
    """Observations from the ``data`` of streaming ``update`` events (each a status as JSON text)."""
    def update_observation(data: str | bytes) -> Observation:
        status = decode_json(data.encode() if isinstance(data, str) else data, "Mastodon stream update")
        return status_observation(status, source)

    skipped: list[str] = []
    observations = convert_each(payload if isinstance(payload, list) else [], update_observation,
                                "stream event", skipped, errors=(ItemError, MalformedPayload))
    return Parsed(observations, skipped)


class MastodonStreamSource(HttpSource):
    """The public streaming API: holds one SSE connection, hands out what arrived each batch.
    The stream cannot resume, so the cursor records only the newest status id seen."""

    def __init__(self, base_url: str, *, stream_path: str = "/api/v1/streaming/public",
                 name: str = SOURCE_NAME, access_token: str | None = None,
                 batch_seconds: float = 2.0, batch_size: int = 500, idle_timeout: float = 90.0) -> None:
        self.name = name
        self.poll_seconds = 0.0
        self._url = base_url.rstrip("/") + stream_path
        self._headers = {"User-Agent": USER_AGENT, "Accept": "text/event-stream"}
        if access_token:
            self._headers["Authorization"] = f"Bearer {access_token}"
        self._batch_seconds = batch_seconds
        self._batch_size = batch_size
        self._idle_timeout = idle_timeout
        self._response: aiohttp.ClientResponse | None = None
        self._buffer = b""

    async def _connect(self) -> aiohttp.ClientResponse:
        if self._response is not None and not self._response.closed:
            return self._response
        self._buffer = b""
        try:
            response = await self.session().get(self._url, headers=self._headers,
                                               timeout=aiohttp.ClientTimeout(sock_connect=20, sock_read=None))
        except aiohttp.ClientError as exc:
            raise UpstreamTimeout(f"{self._url}: {exc}") from exc
        if response.status != 200:
            response.release()
            raise_for_status(self._url, response.status, response.headers)
        self._response = response
        return response

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        response = await self._connect()
        updates: list[str] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._batch_seconds
        try:
            while len(updates) < self._batch_size:
                remaining = deadline - loop.time()
                if remaining <= 0 and updates:
                    break
                timeout = max(remaining, 0.05) if updates else self._idle_timeout
                try:
                    chunk = await asyncio.wait_for(response.content.readany(), timeout)
                except TimeoutError:
                    if updates:
                        break
                    raise UpstreamTimeout(f"{self._url}: no event for {self._idle_timeout:g} s") from None
                if not chunk:
                    raise UpstreamTimeout(f"{self._url}: stream closed by the server")
                events, self._buffer = parse_sse(self._buffer + chunk)
                updates.extend(data for event, data in events if event == "update")
        except (aiohttp.ClientError, UpstreamTimeout) as exc:
            response.close()
            self._response = None
            if updates:
                return self._result(updates, cursor)
            if isinstance(exc, UpstreamTimeout):
                raise
            raise UpstreamTimeout(f"{self._url}: stream dropped ({exc})") from exc
        return self._result(updates, cursor)

    def _result(self, updates: list[str], cursor: Cursor | None) -> FetchResult:
        return FetchResult(payload=updates, cursor=dict(cursor or {}), more=True)

    def parse(self, payload: Any) -> Parsed:
        return parse_stream_updates(payload, self.name)

    async def close(self) -> None:
        if self._response is not None:
            self._response.close()
        await super().close()
