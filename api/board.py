"""The in-memory verdict board: the current verdict of every service, ready to serve.

Public GETs read only this board. The detector (through ``downwatch.runtime``) calls
``publish(verdicts, at)`` once per tick; the board swaps in the new verdicts, re-serialises what
changed, bumps its version (which invalidates every derived answer) and queues one event per
changed verdict for the server-sent-events stream. A detector that sends only the verdicts whose
content changed calls ``restamp(services, bucket, updated_at, at)`` for the rest: their ``bucket`` and
``updated_at`` move on without re-serialising them; an answer is made again when it is next asked for.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from api.representation import JSON_OPTIONS, Representation
from downwatch.records import Service, Status

DERIVED_CACHE_LIMIT = 4096
SUBSCRIBER_QUEUE_LIMIT = 1024
STATUS_VALUES = frozenset(status.value for status in Status)


@dataclass(frozen=True, slots=True)
class Stamp:
    """A newer ``bucket`` and ``updated_at`` for verdicts whose content did not change, given at ``at``."""

    bucket: str
    updated_at: str
    at: datetime


@dataclass(frozen=True, slots=True)
class BoardEvent:
    """One verdict change, as the SSE stream sends it."""

    id: int
    service: str
    status_changed: bool
    data: bytes


class Subscription:
    """A stream client's queue of events; ``lagging`` once it fell too far behind to keep up."""

    def __init__(self, board: VerdictBoard) -> None:
        self.queue: asyncio.Queue[BoardEvent | None] = asyncio.Queue(SUBSCRIBER_QUEUE_LIMIT)
        self.lagging = False
        self._board = board

    def offer(self, event: BoardEvent | None) -> None:
        """Queue an event (None: the server is stopping)."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lagging = True

    def close(self) -> None:
        self._board.unsubscribe(self)


def unknown_verdict(slug: str, reason: str) -> dict[str, Any]:
    return {"service": slug, "status": Status.UNKNOWN.value, "since": None, "confidence": 0.0,
            "observed": None, "expected": None, "ratio": None, "score": None, "bucket": None,
            "updated_at": None, "problems": {}, "locations": {}, "sources": {}, "official": None,
            "incident_id": None, "explanation": reason}


NO_VERDICT_YET = "no verdict yet: the detector has not scored this service since the API started"


def service_entry(service: Service) -> dict[str, Any]:
    return {"slug": service.slug, "name": service.name, "country": service.country,
            "category": service.category, "aliases": list(service.aliases),
            "domains": list(service.domains), "status_page": service.status_page}


def listing_entry(service: Service, verdict: Mapping[str, Any]) -> dict[str, Any]:
    entry = service_entry(service)
    for key in ("status", "since", "confidence", "score", "updated_at", "incident_id"):
        entry[key] = verdict.get(key)
    return entry


class VerdictBoard:
    """Current verdicts and their serialised answers, replaced atomically on each tick."""

    def __init__(self, services: Iterable[Service], *, history: int = 1000,
                 tick_seconds: float = 5.0) -> None:
        self.tick_seconds = tick_seconds
        self._services: dict[str, Service] = {s.slug: s for s in services}
        self._verdicts: dict[str, dict[str, Any]] = {}
        self._answers: dict[str, Representation] = {}
        self._stamps: dict[str, Stamp] = {}
        """Per service, the newest stamp given by ``restamp`` (when newer than its verdict's own)."""
        self._answer_stamps: dict[str, Stamp | None] = {}
        """The stamp each of ``_answers`` was made with."""
        self._derived: dict[Any, Representation] = {}
        self._events: deque[BoardEvent] = deque(maxlen=history)
        self._subscribers: set[Subscription] = set()
        self._next_event_id = time.time_ns() // 1_000_000
        self.version = 0
        self.published_at = datetime.now(UTC)
        self.next_tick_due = time.monotonic() + self.tick_seconds
        self._rebuild(self.published_at)

    # reading -------------------------------------------------------------------------------------
    def services(self) -> Iterator[Service]:
        return iter(self._services.values())

    def service(self, slug: str) -> Service | None:
        return self._services.get(slug)

    def verdict(self, slug: str) -> dict[str, Any]:
        verdict = self._verdicts[slug]
        stamp = self._stamps.get(slug)
        if stamp is None or not _newer(stamp, verdict):
            return verdict
        return {**verdict, "bucket": stamp.bucket, "updated_at": stamp.updated_at}

    def verdict_answer(self, slug: str) -> Representation | None:
        answer = self._answers.get(slug)
        if answer is None:
            return None
        stamp = self._stamps.get(slug)
        if (stamp is not None and self._answer_stamps.get(slug) is not stamp
                and _newer(stamp, self._verdicts[slug])):
            answer = self._answers[slug] = Representation.of_bytes(self._body(slug), stamp.at)
            self._answer_stamps[slug] = stamp
        return answer

    def _body(self, slug: str) -> bytes:
        return orjson.dumps({**self.verdict(slug), "name": self._services[slug].name}, option=JSON_OPTIONS)

    def derived(self, key: Any, build: Callable[[], tuple[Any, datetime]]) -> Representation:
        """An answer computed from the board (or the store) once per board version."""
        answer = self._derived.get(key)
        if answer is None:
            document, changed_at = build()
            answer = Representation.of(document, changed_at)
            if len(self._derived) >= DERIVED_CACHE_LIMIT:
                self._derived.clear()
            self._derived[key] = answer
        return answer

    def status_counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for verdict in self._verdicts.values():
            counts[verdict["status"]] = counts.get(verdict["status"], 0) + 1
        return counts

    # writing -------------------------------------------------------------------------------------
    def publish(self, verdicts: Mapping[str, Mapping[str, Any]], at: datetime) -> list[BoardEvent]:
        """Replace the verdicts of the services named in ``verdicts``; others keep theirs (as does one
        given again unchanged: a detector resends a chunk of verdicts when one of them changed)."""
        merged = dict(self._verdicts)
        services = self._services
        touched = []
        for slug, verdict in verdicts.items():
            if verdict.get("status") not in STATUS_VALUES:
                raise ValueError(f"verdict for {slug!r} has no valid status: {verdict.get('status')!r}")
            if slug in services:
                new = {**verdict, "service": slug}
                if merged.get(slug) != new:
                    merged[slug] = new
                    touched.append(slug)
        return self._swap(merged, at, touched=touched)

    def restamp(self, slugs: Iterable[str], bucket: str, updated_at: str, at: datetime) -> None:
        """The verdicts of ``slugs`` (those the board holds) are as of ``bucket`` and ``updated_at``
        where that is newer than their own: no event (their content did not change), a new version."""
        stamp = Stamp(bucket, updated_at, at)
        stamps, verdicts = self._stamps, self._verdicts
        for slug in slugs:
            if slug in verdicts:
                stamps[slug] = stamp
        self._derived = {}
        self.version += 1
        self.published_at = at
        self.next_tick_due = time.monotonic() + self.tick_seconds

    def put_service(self, service: Service, at: datetime) -> None:
        """Add or replace a catalog entry (an admin edit)."""
        self._services[service.slug] = service
        self._swap(dict(self._verdicts), at)

    def _swap(self, verdicts: dict[str, dict[str, Any]], at: datetime,
              touched: Iterable[str] | None = None) -> list[BoardEvent]:
        previous = self._verdicts
        self._verdicts = verdicts
        changed = self._rebuild(at, touched)
        events = []
        answers, next_id = self._answers, self._next_event_id
        for slug in changed:
            old = previous.get(slug)
            events.append(BoardEvent(next_id, slug, (old or {}).get("status") != verdicts[slug]["status"],
                                     answers[slug].body))
            next_id += 1
        self._next_event_id = next_id
        self._events.extend(events)
        for subscriber in self._subscribers:
            for event in events:
                subscriber.offer(event)
        return events

    def _rebuild(self, at: datetime, touched: Iterable[str] | None = None) -> list[str]:
        """Re-serialise the verdicts of ``touched`` (default: every service); return the changed ones.

        Only the touched services' bodies can have changed, so at 33,000 services a partition's
        update re-serialises its own services, not the whole catalog.
        """
        changed = []
        if touched is None:
            answers: dict[str, Representation] = {}
            todo: Iterable[str] = self._services
        else:
            answers = dict(self._answers)
            todo = touched
        verdicts, previous, stamps = self._verdicts, self._answers, self._answer_stamps
        of_bytes, body_of = Representation.of_bytes, self._body
        for slug in todo:
            if slug not in verdicts:
                verdicts[slug] = unknown_verdict(slug, NO_VERDICT_YET)
            body = body_of(slug)
            old = previous.get(slug)
            if old is not None and old.body == body:
                answers[slug] = old
            else:
                answers[slug] = of_bytes(body, at)
                if old is not None:
                    changed.append(slug)
            stamps[slug] = self._stamps.get(slug)
        self._answers = answers
        self._derived = {}
        self.version += 1
        self.published_at = at
        self.next_tick_due = time.monotonic() + self.tick_seconds
        return changed

    # the event stream ----------------------------------------------------------------------------
    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def close_subscriptions(self) -> None:
        for subscription in self._subscribers:
            subscription.offer(None)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def last_event_id(self) -> int:
        return self._next_event_id - 1

    def events_after(self, event_id: int) -> list[BoardEvent] | None:
        """Events newer than ``event_id``, or None when some of them are no longer kept."""
        if event_id >= self.last_event_id:
            return []
        if not self._events or event_id < self._events[0].id - 1:
            return None
        return [event for event in self._events if event.id > event_id]


def _newer(stamp: Stamp, verdict: Mapping[str, Any]) -> bool:
    """Whether ``stamp`` is newer than the verdict's own (ISO times in UTC in one format order as strings)."""
    own = verdict.get("bucket")
    return not isinstance(own, str) or stamp.bucket > own
