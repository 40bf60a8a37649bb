"""Which kinds of evidence are still arriving: a stopped source makes verdicts ``unknown``, not ``up``.

A source is *fresh* when it succeeded within ``stale_after`` (at least ten minutes, or five of its
polls); a source that has not succeeded yet is given the same grace from the process start. A kind
of evidence is alive when any of its sources is fresh, or when no source of that kind is configured
(nothing is expected from it then). User reports arrive through the API itself and are always alive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from downwatch.records import Kind

MIN_STALE_AFTER = timedelta(minutes=10)
POLLS_BEFORE_STALE = 5
KIND_BY_SOURCE_CLASS: dict[str, Kind] = {
    "RedditSource": Kind.POST, "MastodonSource": Kind.POST, "MastodonStreamSource": Kind.POST,
    "JetstreamSource": Kind.POST, "StatuspageSource": Kind.STATUS, "FeedSource": Kind.STATUS,
    "ProbeSource": Kind.PROBE,
}


@dataclass(frozen=True, slots=True)
class WatchedSource:
    name: str
    kind: Kind
    stale_after: timedelta


def watched(sources: Iterable[Any]) -> list[WatchedSource]:
    """The configured sources whose kind of evidence is known (replays of recorded files are not)."""
    out = []
    for source in sources:
        kind = KIND_BY_SOURCE_CLASS.get(type(source).__name__)
        if kind is not None:
            polls = timedelta(seconds=float(getattr(source, "poll_seconds", 0.0)) * POLLS_BEFORE_STALE)
            out.append(WatchedSource(source.name, kind, max(MIN_STALE_AFTER, polls)))
    return out


def alive_kinds(sources: Iterable[WatchedSource], last_success: Mapping[str, datetime | None],
                now: datetime, started_at: datetime) -> frozenset[Kind]:
    expected: dict[Kind, bool] = {}
    for source in sources:
        succeeded = last_success.get(source.name) or started_at
        fresh = now - succeeded <= source.stale_after
        expected[source.kind] = expected.get(source.kind, False) or fresh
    return frozenset(kind for kind in Kind if expected.get(kind, True))
