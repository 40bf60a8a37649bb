from __future__ import annotations

from datetime import UTC, datetime, timedelta

from downwatch.records import Kind
from downwatch.runtime.liveness import WatchedSource, alive_kinds

NOW = datetime(2025, 2, 4, 9, 0, tzinfo=UTC)
TEN = timedelta(minutes=10)
SOURCES = [WatchedSource("reddit", Kind.POST, TEN), WatchedSource("mastodon", Kind.POST, TEN),
           WatchedSource("statuspage:bt", Kind.STATUS, TEN)]


def test_a_kind_stays_alive_while_any_of_its_sources_delivers() -> None:
    started = NOW - timedelta(hours=5)
    seen = {"reddit": NOW - timedelta(hours=1), "mastodon": NOW - timedelta(minutes=2),
            "statuspage:bt": NOW - timedelta(minutes=1)}
    assert alive_kinds(SOURCES, seen, NOW, started) == frozenset(Kind)


def test_a_kind_whose_every_source_stopped_is_not_alive() -> None:
    started = NOW - timedelta(hours=5)
    seen = {"reddit": NOW - timedelta(hours=1), "mastodon": None, "statuspage:bt": NOW}
    assert alive_kinds(SOURCES, seen, NOW, started) == {Kind.REPORT, Kind.PROBE, Kind.STATUS}


def test_sources_get_grace_after_start_and_unconfigured_kinds_are_alive() -> None:
    assert alive_kinds(SOURCES, {}, NOW, NOW - timedelta(minutes=5)) == frozenset(Kind)
    assert Kind.POST not in alive_kinds(SOURCES, {}, NOW, NOW - timedelta(minutes=15))
    assert alive_kinds([], {}, NOW, NOW) == frozenset(Kind)
