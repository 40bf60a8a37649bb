"""Official status feeds in RSS or Atom (feedparser): each entry revision is one ``status``
observation; an entry whose latest word is "resolved" or "completed" reports no failure."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from functools import partial
from typing import Any

import feedparser

from downwatch.records import Kind, Observation
from ingest.sources.base import Cursor, FetchResult, MalformedPayload, Parsed
from ingest.sources.http import http_get
from ingest.sources.problems import problem_from_names
from ingest.sources.session import HttpSource
from ingest.sources.values import ItemError, convert_each
from ingest.text.html_text import html_to_text

SOURCE_NAME = "rss"
_CLOSED = re.compile(r"\b(resolved|completed|restored|recovered|operational|fixed|scheduled)\b", re.I)


def _entry_time(entry: Any) -> datetime | None:
    for key in ("updated_parsed", "published_parsed"):
        value = dict.get(entry, key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _status_word(summary: str, title: str) -> str:
    """The first words of an update (Statuspage feeds start the summary with "Resolved - ...")."""
    return (summary or title)[:80]


def entry_observation(entry: Any, *, source: str, service: str | None) -> Observation:
    """The observation for one feed entry revision; ``ItemError`` when it has no id/link or date."""
    entry_id = entry.get("id") or entry.get("link")
    when = _entry_time(entry)
    if not entry_id or when is None:
        raise ItemError("no id/link or no date")
    title = str(entry.get("title", ""))
    summary = html_to_text(str(entry.get("summary", "")))
    latest = _status_word(summary, title)
    return Observation(
        source=source, external_id=f"{entry_id}@{when.isoformat()}", observed_at=when,
        text=f"{title}\n{summary}".strip(), url=entry.get("link"), service=service,
        problem=problem_from_names(title).value, kind=Kind.STATUS,
        fields={"incident": title, "entry_id": entry_id, "failing": not _CLOSED.search(latest)},
    )


def parse_feed(payload: Any, source: str = SOURCE_NAME, service: str | None = None) -> Parsed:
    """Observations from an RSS or Atom document (bytes or text)."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8", errors="replace")
    if not isinstance(payload, bytes | bytearray):
        raise MalformedPayload(f"status feed: expected XML bytes, got {type(payload).__name__}")
    document = feedparser.parse(bytes(payload))
    if not document.get("version") and not document.entries:
        reason = document.get("bozo_exception")
        raise MalformedPayload(f"status feed: not RSS or Atom ({reason or 'no feed element'})")
    skipped: list[str] = []
    convert = partial(entry_observation, source=source, service=service)
    return Parsed(convert_each(document.entries, convert, "feed entry", skipped), skipped)


class FeedSource(HttpSource):
    """Polls one status feed; the cursor keeps the feed's ETag so unchanged feeds cost nothing."""

    def __init__(self, feed_url: str, service: str, *, name: str = SOURCE_NAME,
                 poll_seconds: float = 120.0, timeout: float = 20.0,
                 max_bytes: int = 4 * 1024 * 1024) -> None:
        self.name = name
        self.poll_seconds = poll_seconds
        self.service = service
        self._url = feed_url
        self._timeout = timeout
        self._max_bytes = max_bytes

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9"}
        etag = (cursor or {}).get("etag")
        if isinstance(etag, str):
            headers["If-None-Match"] = etag
        answer = await http_get(self.session(), self._url, headers=headers, timeout=self._timeout,
                                max_bytes=self._max_bytes)
        if answer.status == 304:
            return FetchResult(payload=None, cursor=dict(cursor or {}))
        next_cursor = {"etag": answer.headers["ETag"]} if "ETag" in answer.headers else {}
        return FetchResult(payload=answer.body, cursor=next_cursor)

    def parse(self, payload: Any) -> Parsed:
        return Parsed([]) if payload is None else parse_feed(payload, self.name, self.service)
