"""Behaviour of the live detector on hand-made scenarios: outages, floods, stale sources, cold start."""

from __future__ import annotations

import struct
from datetime import timedelta

import numpy as np
import pytest

from detector.inputs import BucketObservation
from detector.live import LiveDetector
from detector.settings import DetectorSettings
from downwatch.records import Kind
from tests.detector.scenario import START, Feed, normal_rate

PROBLEMS = {"login": 0.4, "billing": 0.25, "email": 0.2, "website": 0.15}


def warmed(days: int = 3, **settings: float) -> Feed:
    feed = Feed(LiveDetector(["bt"], DetectorSettings(**settings)))  # type: ignore[arg-type]
    feed.normal(days * 1440)
    return feed


def outage(feed: Feed, levels: list[float]) -> list[str]:
    """Buckets at these counts, every report from a different person, spread over BT-like problems."""
    return [feed.bucket(n, reporters=n, problems={k: v * n for k, v in PROBLEMS.items()},
                        locations={"London": 0.5 * n, "Manchester": 0.2 * n}) for n in levels]


@pytest.fixture(scope="module")
def quiet_feed() -> Feed:
    return warmed()


def test_a_normal_history_stays_up_after_warmup(quiet_feed: Feed) -> None:
    after = quiet_feed.statuses[1440 + 10:]
    assert after.count("up") == len(after)


def test_bt_style_outage_goes_degraded_then_down_is_back_dated_and_closes() -> None:
    feed = warmed()
    rise_minute = feed.minute
    rising = outage(feed, [4, 6, 9, 14, 22, 35, 55, 80, 120, 160, 200, 220, 230, 220, 200])
    assert "degraded" in rising and "down" in rising
    assert rising.index("degraded") < rising.index("down")
    verdict = feed.detector.verdict("bt")
    assert verdict.status.value == "down"
    assert verdict.observed == 200 and verdict.expected < 10 and verdict.confidence > 0.9
    assert list(verdict.problems)[:2] == ["login", "billing"]
    assert "login" in verdict.explanation and "expected" in verdict.explanation
    body = verdict.to_dict()
    assert set(body) >= {"service", "status", "since", "confidence", "observed", "expected", "ratio", "score",
                         "bucket", "updated_at", "problems", "locations", "sources", "official",
                         "incident_id", "explanation"}
    assert body["incident_id"] == 1 and body["sources"]["report"]["observed"] == 200
    (active,) = feed.detector.active_incidents()
    rise_start = START + timedelta(minutes=rise_minute)
    detected = START + timedelta(minutes=rise_minute + rising.index("degraded"))
    assert active.detected_at == detected
    assert rise_start - timedelta(minutes=3) <= active.started_at < detected
    assert verdict.since == active.started_at
    assert active.peak_count == 230
    recovery = feed.normal(60)
    assert recovery[-1] == "up"
    closed = [inc for tick in feed.ticks for inc in tick.closed]
    assert len(closed) == 1 and closed[0].status == "resolved" and closed[0].severity == "down"
    assert closed[0].ended_at is not None and closed[0].ended_at > closed[0].peak_at
    assert next(iter(closed[0].problems)) == "login" and "London" in closed[0].locations
    assert feed.statuses[-1] == "up" and feed.detector.active_incidents() == []


def test_a_flood_from_three_clients_does_not_take_the_service_down() -> None:
    feed = warmed()
    during = [feed.bucket(float(feed.rng.poisson(normal_rate(feed.minute))) + 150.0, reporters=3.0 + 2.0)
              for _ in range(30)]
    assert "down" not in during
    assert feed.detector.verdict("bt").status.value != "down"


def test_the_same_volume_from_many_people_does_take_it_down() -> None:
    feed = warmed()
    during = [feed.bucket(150.0, reporters=140.0) for _ in range(10)]
    assert "down" in during


def test_a_stopped_source_gives_unknown_with_the_reason() -> None:
    feed = warmed()
    alive = frozenset({Kind.POST, Kind.PROBE, Kind.STATUS})
    status = feed.bucket(0.0, alive=alive)
    assert status == "unknown"
    verdict = feed.detector.verdict("bt")
    assert verdict.reason is not None and "report" in verdict.reason
    assert "Cannot tell" in verdict.explanation
    assert feed.normal(5)[-1] == "up"


def test_silence_from_a_stopped_source_is_not_learned() -> None:
    feed = warmed()
    before = float(feed.detector.state.level[0])
    alive = frozenset({Kind.POST, Kind.PROBE, Kind.STATUS})
    for _ in range(600):
        feed.bucket(0.0, alive=alive)
    assert float(feed.detector.state.level[0]) == pytest.approx(before)


def test_short_history_is_unknown_then_up() -> None:
    feed = Feed(LiveDetector(["bt"], DetectorSettings(warmup_days=0.25)))
    first = feed.normal(1)[0]
    assert first == "unknown"
    assert "history too short" in (feed.detector.verdict("bt").reason or "")
    statuses = feed.normal(int(0.25 * 1440) + 30)
    assert statuses[int(0.25 * 1440) - 5] == "unknown"
    assert statuses[-1] == "up"


def test_state_round_trips_through_bytes_and_continues_identically() -> None:
    feed = warmed(days=2)
    outage(feed, [10, 30, 60, 90])
    blob = feed.detector.state_bytes("bt")
    assert len(blob) < 2048
    twin = LiveDetector(["bt"])
    twin.load_state("bt", blob)
    rng = np.random.default_rng(3)
    for n in rng.poisson(5, 40).astype(float):
        obs = {"bt": BucketObservation("bt", feed.now, reports=n, problems={"login": n})}
        a = feed.detector.update(feed.now, obs, now=feed.now)
        b = twin.update(feed.now, obs, now=feed.now)
        assert a.changed == b.changed
        assert [i.to_dict() for i in a.closed] == [i.to_dict() for i in b.closed]
        assert feed.detector.verdict("bt").to_dict() == twin.verdict("bt").to_dict()
        feed.minute += 1


@pytest.mark.parametrize(("version", "missing"), [(2, 2), (3, 1)])
def test_a_state_saved_by_an_older_format_loads_and_continues(version: int, missing: int) -> None:
    """Version 2 had neither ``excess_since`` nor ``reporter_excess`` (the last two rows), version 3 not
    the last: a stored live state from before an upgrade loads with them unknown (and no crowd above
    expected yet) instead of being refused (which would make every service cold again)."""
    feed = warmed(days=2)
    blob = feed.detector.state_bytes("bt")
    size = int.from_bytes(blob[:4], "little")
    state, tail = blob[4:4 + size], blob[4 + size:]
    magic, _, reserved = struct.unpack_from("<4sHH", state)
    older = struct.pack("<4sHH", magic, version, reserved) + state[8:-8 * missing]
    twin = LiveDetector(["bt"])
    twin.load_state("bt", len(older).to_bytes(4, "little") + older + tail)
    assert twin.state.reporter_excess[0] == 0.0
    if version == 2:
        assert np.isnan(twin.state.excess_since[0])
    assert twin.state.to_bytes(0)[8:-8 * missing] == state[8:-8 * missing]
    obs = {"bt": BucketObservation("bt", feed.now, reports=5.0)}
    assert twin.update(feed.now, obs, now=feed.now).changed == feed.detector.update(feed.now, obs,
                                                                                    now=feed.now).changed


def test_a_past_outage_does_not_drag_the_baseline_up() -> None:
    feed = warmed()
    outage(feed, [200.0] * 180)
    after = feed.normal(1440)
    assert after[-1200:].count("up") == 1200
    assert feed.detector.verdict("bt").expected == pytest.approx(normal_rate(feed.minute - 1), rel=0.3)
    second = outage(feed, [10, 40, 120, 200, 200])
    assert "down" in second
    assert len([i for t in feed.ticks for i in t.opened]) == 2


def test_official_incident_raises_confidence_and_disagreement_is_flagged() -> None:
    feed = warmed()
    outage(feed, [20, 60, 120])
    verdict = feed.detector.verdict("bt")
    feed.bucket(150, reporters=150, official="none")
    flagged = feed.detector.verdict("bt")
    assert flagged.official["disagrees"] is True
    assert "official status page says all systems operational" in flagged.explanation
    feed.bucket(150, reporters=150, official="major")
    confirmed = feed.detector.verdict("bt")
    assert confirmed.official["disagrees"] is False and confirmed.official["incident"] == "major"
    assert confirmed.confidence >= verdict.confidence


def test_failing_probes_alone_raise_degraded_with_the_probe_evidence_and_passing_ones_keep_it_up() -> None:
    feed = warmed(days=2)
    checked = [feed.normal(1, probe_failed=0.0, probe_checks=3.0)[0] for _ in range(30)]
    assert set(checked) == {"up"}
    assert feed.detector.verdict("bt").sources["probe"] == {"observed": 0.0, "checks": 3.0,
                                                            "failing_share": 0.0}

    failing = [feed.normal(1, probe_failed=3.0, probe_checks=3.0)[0] for _ in range(8)]
    assert failing[0] == "up", "one failing probe bucket is not enough"
    assert failing[1:] == ["degraded"] * 7, "probes failing for two buckets raise degraded, never down"
    verdict = feed.detector.verdict("bt")
    assert verdict.sources["probe"] == {"observed": 3.0, "checks": 3.0, "failing_share": 1.0}
    assert verdict.incident_id is not None
    assert [i.severity for t in feed.ticks for i in t.opened] == ["degraded"]

    half = [feed.normal(1, probe_failed=1.0, probe_checks=3.0)[0] for _ in range(40)]
    assert half[-1] == "up", "probes mostly passing again end the alarm"
    assert len([i for t in feed.ticks for i in t.closed]) == 1


def _rise_then_burst(feed: Feed) -> list[str]:
    """A rise reported as ``billing`` (below any alarm), then a burst reported as ``login``."""
    statuses = []
    rise_and_burst = [(4.0, "billing"), (5.0, "billing"), (5.0, "billing"), (80.0, "login"), (150.0, "login")]
    for n, problem in rise_and_burst:
        obs = {"bt": BucketObservation("bt", feed.now, reports=n, reporters=n, problems={problem: n},
                                       locations={"Leeds" if problem == "billing" else "London": n})}
        feed.detector.update(feed.now, obs, now=feed.now)
        statuses.append(feed.detector.verdict("bt").status.value)
        feed.minute += 1
    return statuses


def test_an_incident_counts_the_problems_and_places_reported_since_its_back_dated_onset() -> None:
    feed = warmed(days=2)
    rise_start = feed.now
    statuses = _rise_then_burst(feed)
    assert statuses[:3] == ["up"] * 3 and statuses[3] in ("degraded", "down")
    (incident,) = feed.detector.active_incidents()
    assert incident.started_at <= rise_start < incident.detected_at
    assert set(incident.problems) == {"login", "billing"}
    assert incident.problems["billing"] == pytest.approx(14 / 244, abs=0.001)
    assert set(incident.locations) == {"London", "Leeds"} and incident.locations["Leeds"] == 14


def test_evidence_of_a_rise_survives_a_restart_before_the_incident_opens() -> None:
    feed = warmed(days=2)
    for n in (4.0, 5.0, 5.0):
        obs = {"bt": BucketObservation("bt", feed.now, reports=n, reporters=n, problems={"billing": n})}
        feed.detector.update(feed.now, obs, now=feed.now)
        feed.minute += 1
    twin = LiveDetector(["bt"])
    twin.load_state("bt", feed.detector.state_bytes("bt"))
    obs = {"bt": BucketObservation("bt", feed.now, reports=80.0, reporters=80.0, problems={"login": 80.0})}
    twin.update(feed.now, obs, now=feed.now)
    (incident,) = twin.active_incidents()
    assert set(incident.problems) == {"login", "billing"}
