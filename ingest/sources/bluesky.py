"""Bluesky through Jetstream: a websocket of repository commits, filtered to posts (and reposts).

Every event carries ``time_us``; the cursor is the newest one stored, and a reconnect asks
Jetstream to replay from it (replayed events have the same external id, so nothing doubles).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from downwatch.records import Kind, Observation
from ingest.sources.base import Cursor, FetchResult, MalformedPayload, Parsed, UpstreamTimeout
from ingest.sources.http import decode_json, raise_for_status
from ingest.sources.session import USER_AGENT_HEADERS, HttpSource
from ingest.sources.values import ItemError, convert_each, optional_str, parse_time, require_dict, require_str

SOURCE_NAME = "bluesky"
POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
BSKY_WEB = "https://bsky.app"


class NotAPost(Exception):
    """A well-formed event that is not a new post (deletes, identity and account events)."""


def _embedded_uri(embed: Any) -> str | None:
    """The URI a quote-post quotes, from ``app.bsky.embed.record`` or ``...recordWithMedia``."""
    if not isinstance(embed, dict):
        return None
    record = embed.get("record")
    if isinstance(record, dict):
        inner = record.get("record")
        if isinstance(inner, dict) and isinstance(inner.get("uri"), str):
            return str(inner["uri"])
        if isinstance(record.get("uri"), str):
            return str(record["uri"])
    return None


def event_observation(item: Any, source: str = SOURCE_NAME) -> Observation:
    """The observation for one Jetstream event; ``NotAPost`` for events that are not new posts."""
    event = require_dict(item, "event")
    if event.get("kind") != "commit":
        raise NotAPost
    commit = require_dict(event.get("commit"), "commit")
    if commit.get("operation") != "create" or commit.get("collection") not in (POST, REPOST):
        raise NotAPost
    did = require_str(event, "did")
    rkey = require_str(commit, "rkey")
    collection = commit["collection"]
    record = require_dict(commit.get("record"), "commit record")
    time_us = event.get("time_us")
    if not isinstance(time_us, int) or isinstance(time_us, bool):
        raise ItemError("field 'time_us' missing or not an integer")
    created_text = record.get("createdAt")
    observed = parse_time(created_text, "createdAt") if created_text else parse_time(time_us / 1e6, "time_us")
    uri = f"at://{did}/{collection}/{rkey}"
    if collection == REPOST:
        subject = require_dict(record.get("subject"), "repost subject")
        return Observation(source=source, external_id=uri, observed_at=observed, text=None, author=did,
                           kind=Kind.POST, repost_of=require_str(subject, "uri"),
                           fields={"time_us": time_us})
    text = record.get("text")
    if not isinstance(text, str):
        raise ItemError("field 'text' missing or not a string")
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    langs = record.get("langs")
    return Observation(
        source=source, external_id=uri, observed_at=observed, text=text, author=did,
        url=f"{BSKY_WEB}/profile/{did}/post/{rkey}", kind=Kind.POST,
        repost_of=_embedded_uri(record.get("embed")),
        fields={"time_us": time_us,
                "langs": [lang for lang in langs if isinstance(lang, str)] if isinstance(langs, list) else [],
                "reply_to": optional_str(parent, "uri") if isinstance(parent, dict) else None},
    )


def parse_events(payload: Any, source: str = SOURCE_NAME) -> Parsed:
    """Observations from Jetstream events: a list of messages (text, bytes or decoded JSON), or
    JSONL bytes as recorded. Malformed messages are skipped with a reason; non-posts silently."""
    if isinstance(payload, bytes | bytearray):
        payload = [line for line in bytes(payload).splitlines() if line.strip()]
    if not isinstance(payload, list):
        raise MalformedPayload(f"Jetstream: expected a list of events, got {type(payload).__name__}")
    def message_observation(message: Any) -> Observation | None:
        event = message
        if isinstance(message, str | bytes):
            raw = message.encode("utf-8", errors="surrogatepass") if isinstance(message, str) else message
            event = decode_json(raw, "Jetstream event")
        try:
            return event_observation(event, source)
        except NotAPost:
            return None

    skipped: list[str] = []
    observations = convert_each(payload, message_observation, "Jetstream event", skipped,
                                errors=(ItemError, MalformedPayload))
    return Parsed(observations, skipped)


def newest_time_us(messages: list[Any]) -> int | None:
    """The largest ``time_us`` among the messages that carry one (decoded cheaply, bad ones ignored)."""
    newest: int | None = None
    for message in messages:
        try:
            event = decode_json(message.encode() if isinstance(message, str) else message, "event")
        except (MalformedPayload, UnicodeEncodeError):
            continue
        value = event.get("time_us") if isinstance(event, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and (newest is None or value > newest):
            newest = value
    return newest


class JetstreamSource(HttpSource):
    """Holds one websocket; each fetch hands out what arrived within ``batch_seconds``."""

    session_headers = USER_AGENT_HEADERS

    def __init__(self, url: str, *, name: str = SOURCE_NAME, collections: tuple[str, ...] = (POST,),
                 batch_seconds: float = 1.0, batch_size: int = 1000, idle_timeout: float = 60.0,
                 max_message_bytes: int = 1024 * 1024) -> None:
        self.name = name
        self.poll_seconds = 0.0
        self._url = url.rstrip("/")
        self._collections = collections
        self._batch_seconds = batch_seconds
        self._batch_size = batch_size
        self._idle_timeout = idle_timeout
        self._max_message_bytes = max_message_bytes
        self._socket: aiohttp.ClientWebSocketResponse | None = None

    async def _connect(self, cursor: Cursor | None) -> aiohttp.ClientWebSocketResponse:
        if self._socket is not None and not self._socket.closed:
            return self._socket
        params = [("wantedCollections", collection) for collection in self._collections]
        if cursor and isinstance(cursor.get("time_us"), int):
            params.append(("cursor", str(cursor["time_us"])))
        try:
            self._socket = await self.session().ws_connect(
                self._url, params=params, max_msg_size=self._max_message_bytes, heartbeat=30.0,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0))
        except aiohttp.WSServerHandshakeError as exc:
            raise_for_status(self._url, exc.status, exc.headers or {})
            raise UpstreamTimeout(f"{self._url}: websocket handshake failed ({exc.status})") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamTimeout(f"{self._url}: cannot connect ({exc})") from exc
        return self._socket

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        socket = await self._connect(cursor)
        messages: list[str | bytes] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._batch_seconds
        dropped: str | None = None
        while len(messages) < self._batch_size:
            remaining = deadline - loop.time()
            if messages and remaining <= 0:
                break
            try:
                wait = max(remaining, 0.05) if messages else self._idle_timeout
                message = await socket.receive(timeout=wait)
            except TimeoutError:
                if messages:
                    break
                dropped = f"no event for {self._idle_timeout:g} s"
                break
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                messages.append(message.data)
                continue
            dropped = f"websocket {message.type.name.lower()} ({message.extra or socket.close_code})"
            break
        if dropped is not None:
            await socket.close()
            self._socket = None
            if not messages:
                raise UpstreamTimeout(f"{self._url}: {dropped}")
        newest = newest_time_us(messages)
        next_cursor = dict(cursor or {})
        if newest is not None and newest > int(next_cursor.get("time_us", 0)):
            next_cursor["time_us"] = newest
        return FetchResult(payload=messages, cursor=next_cursor, more=True)

    def parse(self, payload: Any) -> Parsed:
        return parse_events(payload, self.name)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        await super().close()
