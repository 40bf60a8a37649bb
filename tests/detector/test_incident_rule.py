"""The incident rule: a rise is an incident only when it is both surprising and large in absolute terms
(``incident_excess`` reports + posts above expected per 15 minutes), at any bucket width, from a cold
start: a 5x rise above 30 reports a bucket is caught after six hours of history, a quiet service's
first few reports and a ten-identity flood of it are not outages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detector.inputs import BucketObservation
from detector.live import LiveDetector
from detector.settings import DetectorSettings, detector_settings
from downwatch.errors import InputError

START = datetime(2025, 3, 3, tzinfo=UTC)


class Series:
    """One service fed bucket by bucket at a given width."""

    def __init__(self, bucket_seconds: int, warmup_days: float = 0.25) -> None:
        self.width = timedelta(seconds=bucket_seconds)
        self.detector = LiveDetector(["svc"], DetectorSettings(bucket_seconds=bucket_seconds,
                                                               warmup_days=warmup_days))
        self.at = START
        self.opened = 0

    def feed(self, count: float, reporters: float | None = None) -> str:
        obs = BucketObservation("svc", self.at, reports=count, reporters=reporters)
        tick = self.detector.update(self.at, {"svc": obs}, now=self.at)
        self.opened += len(tick.opened)
        self.at += self.width
        return self.detector.verdict("svc").status.value

    def history(self, hours: float, per_bucket: float, seed: int = 1) -> list[str]:
        rng = np.random.default_rng(seed)
        buckets = int(hours * 3600 / self.width.total_seconds())
        return [self.feed(float(rng.poisson(per_bucket))) for _ in range(buckets)]


def test_a_five_fold_rise_above_thirty_a_bucket_is_caught_after_six_hours_of_history() -> None:
    series = Series(900)
    series.history(6.5, 30.0)
    assert series.detector.verdict("svc").status.value == "up"
    rising = [series.feed(150.0) for _ in range(4)]
    assert rising[0] in ("degraded", "down") or rising[1] in ("degraded", "down")
    assert series.opened == 1


def test_a_history_that_starts_in_the_tail_of_an_earlier_event_does_not_hide_the_next_one() -> None:
    """Six hours decaying from 96 to 15 a bucket, then five quiet hours at about 5: the first-day
    level follows the fall, so a rise to 45, 50 and 60 a bucket (Downdetector's aws-273007 shape) is an
    incident within those three buckets instead of being read against a level still near 25."""
    series = Series(900)
    rng = np.random.default_rng(4)
    for n in np.geomspace(96.0, 15.0, 24):
        series.feed(float(rng.poisson(n)))
    for _ in range(20):
        series.feed(float(rng.poisson(5.0)))
    assert series.detector.verdict("svc").status.value == "up"
    rising = [series.feed(n) for n in (45.0, 50.0, 60.0)]
    assert "degraded" in rising or "down" in rising
    assert series.opened == 1


def test_an_outage_starts_where_its_reports_rose_not_where_an_earlier_small_rise_did() -> None:
    """Two hours of a small rise (too small to be an incident) keep the CUSUM above 0 through 45 quiet
    minutes; the outage that follows starts where the windowed excess last turned positive, not where
    the CUSUM run began (hours before, on the stray reports and the small rise)."""
    series = Series(60, warmup_days=1.0)
    series.history(30, 0.05)
    rng = np.random.default_rng(2)
    for _ in range(120):
        series.feed(float(rng.poisson(0.4)))
    for _ in range(45):
        series.feed(0.0)
    assert series.detector.state.cusum[0] > 0
    spike_start = series.at
    opened = []
    for _ in range(10):
        tick = series.detector.update(series.at, {"svc": BucketObservation("svc", series.at, reports=12.0,
                                                                           reporters=12.0)}, now=series.at)
        opened += tick.opened
        series.at += series.width
    assert len(opened) == 1
    assert opened[0].started_at == spike_start


def test_a_quiet_service_learns_its_true_rate() -> None:
    """At an expected 0.05 reports a minute a single report is more than 3 standard deviations above
    expected; winsorising it there taught the level about half the true rate (0.024 for 0.05)."""
    series = Series(60, warmup_days=1.0)
    series.history(48, 0.05)
    assert series.detector.verdict("svc").expected == pytest.approx(0.05, rel=0.35)


def test_a_quiet_services_first_reports_are_not_an_outage() -> None:
    series = Series(900)
    assert set(series.history(6.5, 0.05)) <= {"unknown", "up"}
    statuses = [series.feed(n) for n in (2.0, 3.0, 2.0, 0.0, 1.0)]
    assert set(statuses) == {"up"} and series.opened == 0


def test_ten_identities_flooding_a_quiet_service_are_not_an_outage() -> None:
    series = Series(60, warmup_days=1.0)
    series.history(26, 0.02)
    statuses = [series.feed(10.0, reporters=10.0)] + [series.feed(0.0) for _ in range(5)]
    assert set(statuses) == {"up"} and series.opened == 0


@pytest.mark.parametrize("bucket_seconds", [60, 300, 900])
def test_the_absolute_size_means_the_same_at_every_bucket_width(bucket_seconds: int) -> None:
    """A steady 45 extra reports per 15 minutes for an hour is an incident at every width, 18 extra
    is not (on a quiet service, where both are surprising)."""
    per_bucket = bucket_seconds / 900.0
    outcomes = []
    for extra in (18.0, 45.0):
        series = Series(bucket_seconds, warmup_days=1.0)
        series.history(26, 1.0 * per_bucket)
        for _ in range(int(3600 / bucket_seconds)):
            series.feed(1.0 * per_bucket + extra * per_bucket)
        outcomes.append(series.opened)
    assert outcomes == [0, 1]


def test_incident_excess_zero_lets_a_small_surprising_rise_alarm() -> None:
    series = Series(900)
    series.detector = LiveDetector(["svc"], detector_settings(bucket_seconds=900, warmup_days=0.25,
                                                              incident_excess=0.0))
    series.history(6.5, 0.05)
    statuses = [series.feed(n, reporters=n) for n in (6.0, 8.0, 8.0)]
    assert "degraded" in statuses


def test_a_bad_excess_window_is_an_input_error() -> None:
    with pytest.raises(InputError, match="excess_window_seconds"):
        detector_settings(excess_window_seconds=0.0)


def news_spikes(series: Series, days: int, every_hours: float, spike: float, base: float) -> int:
    """``days`` of a steady ``base`` per bucket with a 30-minute spike to ``spike`` times it every
    ``every_hours``; returns the incidents opened meanwhile."""
    opened = series.opened
    rng = np.random.default_rng(5)
    per_hour = int(3600 / series.width.total_seconds())
    for hour in range(days * 24):
        spiking = hour % every_hours == 0
        for k in range(per_hour):
            level = base * (spike if spiking and k < per_hour // 2 else 1.0)
            count = float(rng.poisson(level))
            series.feed(count, reporters=count)
    return series.opened - opened


def test_news_spikes_every_day_become_normal_but_a_much_larger_rise_is_still_an_incident() -> None:
    series = Series(300, warmup_days=1.0)
    series.history(26, 20.0)
    first_week = news_spikes(series, 7, 24, 4.0, 20.0)
    second_week = news_spikes(series, 7, 24, 4.0, 20.0)
    assert first_week >= 1
    assert second_week == 0
    series.opened = 0
    outage = [series.feed(400.0, reporters=400.0) for _ in range(6)]
    assert "down" in outage and series.opened == 1


def test_one_outage_does_not_make_the_next_one_normal() -> None:
    series = Series(300, warmup_days=1.0)
    series.history(26, 20.0)
    for _ in range(2):
        before = series.opened
        for _ in range(12):
            series.feed(100.0, reporters=100.0)
        assert series.opened == before + 1
        series.history(72, 20.0, seed=series.opened)


def test_daily_floods_from_a_few_clients_do_not_make_a_real_rise_normal() -> None:
    """A rise counts towards the service's burstiness only when its reporters carry it: three clients
    adding 60 reports for half an hour every day (never an incident) leave a genuine rise of the same
    size an incident."""
    series = Series(300, warmup_days=1.0)
    series.history(26, 20.0)
    rng = np.random.default_rng(5)
    for _ in range(10):
        for k in range(24 * 12):
            normal = float(rng.poisson(20.0))
            flood = 60.0 if k < 6 else 0.0
            series.feed(normal + flood, reporters=normal + (3.0 if flood else 0.0))
    assert series.opened == 0
    statuses = [series.feed(80.0, reporters=80.0) for _ in range(6)]
    assert "degraded" in statuses or "down" in statuses
    assert series.opened == 1


def test_a_flood_from_three_clients_is_not_carried_by_an_earlier_crowd() -> None:
    """The crowd test also asks the last 15 minutes: a quiet service (0.1 reports a minute) whose CUSUM
    run has been open for 12 hours on a mild rise from many reporters is then flooded with 115 reports a
    minute from 3 clients. Summed since the run began, the reporters above expected still cover 30% of
    the excess; over the window they do not, and no incident opens."""
    series = Series(60, warmup_days=1.0)
    series.history(48, 0.1)
    series.history(12, 0.3, seed=2)
    assert series.detector.state.cusum[0] > 0.0
    statuses = [series.feed(115.0, reporters=3.0) for _ in range(21)]
    assert set(statuses) == {"up"}
    assert series.opened == 0
