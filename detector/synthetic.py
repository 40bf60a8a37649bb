"""Realistic synthetic histories with known outages, for tests, tuning and the benchmarks.

Each service has a volume (50 to 50,000 reports + posts a day, log-uniform), a daily rhythm, a weekly
rhythm, slow growth, a few holidays (quieter days, one busier), negative binomial over-dispersion
(gamma-Poisson), and outages of four shapes — ``step`` (sudden), ``ramp`` (rising over minutes),
``spike`` (short and sharp) and ``partial`` (a small share of users) — plus report floods from a few
clients, which are not outages. The true normal rate and the true outage rate are kept, so an oracle
can be run and detection delay measured from the known onset.

    world = SyntheticWorld(services=20, days=60, seed=1)
    history = world.history()            # every day at once (arrays + ground truth)
    counts = history.to_counts()         # the counts layout of detector.frame
    for day in range(world.days): arrays = world.day(day)   # the same data one day at a time
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SHAPES = ("step", "ramp", "spike", "partial")
DAY = 86400
START = 1_735_689_600  # 2025-01-01T00:00:00Z, a Wednesday


@dataclass(frozen=True, slots=True)
class Outage:
    service: int
    onset: int
    """Bucket index where the extra reports begin."""
    duration: int
    shape: str
    size: float
    """Extra reports per bucket at full strength, as a multiple of the service's average normal rate."""


@dataclass(frozen=True, slots=True)
class Flood:
    service: int
    start: int
    duration: int
    clients: int
    per_bucket: float


@dataclass(slots=True)
class DayArrays:
    buckets: np.ndarray
    reports: np.ndarray
    posts: np.ndarray
    reporters: np.ndarray
    normal_rate: np.ndarray
    rate: np.ndarray
    """The true mean: normal rate plus outage extra (floods excluded)."""


@dataclass(slots=True)
class SyntheticHistory:
    names: list[str]
    bucket_seconds: int
    buckets: np.ndarray
    reports: np.ndarray
    posts: np.ndarray
    reporters: np.ndarray
    normal_rate: np.ndarray
    rate: np.ndarray
    dispersion: np.ndarray
    outages: list[Outage] = field(default_factory=list)
    floods: list[Flood] = field(default_factory=list)

    def to_counts(self) -> pd.DataFrame:
        """Long counts table (report and post rows, non-zero buckets only)."""
        frames = []
        for kind, values in (("report", self.reports), ("post", self.posts)):
            t, s = np.nonzero(values)
            share = values[t, s] / np.maximum(self.reports[t, s] + self.posts[t, s], 1e-9)
            frames.append(pd.DataFrame({
                "service": np.array(self.names, dtype=object)[s],
                "bucket": pd.to_datetime(self.buckets[t], unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "kind": kind, "problem": "other",
                "count": np.ceil(values[t, s]) if kind == "post" else values[t, s],
                "weight": values[t, s], "reporters": self.reporters[t, s] * share,
            }))
        return pd.concat(frames, ignore_index=True).sort_values(["bucket", "service", "kind"],
                                                                ignore_index=True)


class SyntheticWorld:
    """Per-service parameters and events drawn once; any day regenerated deterministically."""

    def __init__(self, services: int = 20, days: int = 60, seed: int = 0, bucket_seconds: int = 60,
                 outages_per_month: float = 2.0, floods_per_month: float = 0.5, quiet_days: int = 7,
                 min_daily: float = 50.0, max_daily: float = 50_000.0) -> None:
        self.services, self.days, self.seed, self.bucket_seconds = services, days, seed, bucket_seconds
        self.per_day = DAY // bucket_seconds
        rng = np.random.default_rng(seed)
        self.names = [f"svc{i:04d}" for i in range(services)]
        self.daily = np.exp(rng.uniform(np.log(min_daily), np.log(max_daily), services))
        self.amplitude = rng.uniform(0.3, 0.8, services)
        self.peak_hour = rng.uniform(9, 21, services)
        self.weekend = rng.uniform(0.6, 1.2, services)
        self.growth = rng.uniform(0.0, 0.01, services)
        self.dispersion = rng.uniform(0.02, 0.3, services)
        self.post_share = rng.uniform(0.1, 0.5, services)
        candidates = np.arange(quiet_days, days)
        self.holidays = {int(d): float(f) for d, f in zip(
            rng.choice(candidates, size=min(3, candidates.size), replace=False), (0.6, 0.7, 1.2),
            strict=False)}
        self.outages = self._outages(rng, outages_per_month, quiet_days) if days > quiet_days else []
        self.floods = self._floods(rng, floods_per_month, quiet_days) if days > quiet_days else []

    def _outages(self, rng: np.random.Generator, per_month: float, quiet_days: int) -> list[Outage]:
        events = []
        span = (self.days - quiet_days) * self.per_day
        for s in range(self.services):
            for _ in range(rng.poisson(per_month * (self.days - quiet_days) / 30)):
                shape = str(rng.choice(SHAPES))
                minutes = {"step": (20, 180), "ramp": (30, 180), "spike": (3, 10),
                           "partial": (30, 240)}[shape]
                duration = int(rng.integers(*minutes) * 60 // self.bucket_seconds) or 1
                size = float(np.exp(rng.uniform(np.log(2.0), np.log(30.0))))
                size *= {"spike": 3.0, "partial": 0.3}.get(shape, 1.0)
                onset = quiet_days * self.per_day + int(rng.integers(0, max(span - duration, 1)))
                events.append(Outage(s, onset, duration, shape, size))
        return _apart(events)

    def _floods(self, rng: np.random.Generator, per_month: float, quiet_days: int) -> list[Flood]:
        events = []
        span = (self.days - quiet_days) * self.per_day
        for s in range(self.services):
            for _ in range(rng.poisson(per_month * (self.days - quiet_days) / 30)):
                clients = int(rng.integers(1, 4))
                per_bucket = float(rng.uniform(5, 40)) * clients
                duration = int(rng.integers(5, 60))
                start = quiet_days * self.per_day + int(rng.integers(0, span))
                events.append(Flood(s, start, duration, clients, per_bucket))
        return events

    def normal_rate(self, day: int) -> np.ndarray:
        """The true normal mean per bucket, (buckets of the day, services)."""
        t = (START + (day * self.per_day + np.arange(self.per_day)) * self.bucket_seconds)[:, None]
        hour = (t % DAY) / 3600.0
        weekday = ((t // DAY) + 3) % 7
        rhythm = 1.0 + self.amplitude * np.cos(2 * np.pi * (hour - self.peak_hour) / 24.0)
        weekly = np.where(weekday >= 5, self.weekend, 1.0)
        level = self.daily / self.per_day * (1.0 + self.growth) ** day * self.holidays.get(day, 1.0)
        return level * rhythm * weekly / 1.0

    def day(self, day: int) -> DayArrays:
        rng = np.random.default_rng([self.seed, day])
        normal = self.normal_rate(day)
        first = day * self.per_day
        extra = np.zeros_like(normal)
        for o in self.outages:
            lo, hi = max(o.onset, first), min(o.onset + o.duration, first + self.per_day)
            if lo >= hi:
                continue
            since = np.arange(lo, hi) - o.onset
            strength = np.minimum(1.0, (since + 1) / max(o.duration / 3, 1)) if o.shape == "ramp" else 1.0
            base = max(self.daily[o.service] / self.per_day, 0.05)
            extra[lo - first:hi - first, o.service] += o.size * base * strength
        rate = normal + extra
        k = 1.0 / self.dispersion
        mean = rate * rng.gamma(k, 1.0 / k, size=rate.shape)
        counts = rng.poisson(mean).astype(float)
        posts_n = rng.binomial(counts.astype(np.int64), self.post_share).astype(float)
        posts = np.round(posts_n * rng.uniform(0.6, 1.0, size=counts.shape) * 8) / 8
        reports = counts - posts_n
        reporters = counts.copy()
        for f in self.floods:
            lo, hi = max(f.start, first), min(f.start + f.duration, first + self.per_day)
            if lo < hi:
                reports[lo - first:hi - first, f.service] += np.round(f.per_bucket)
                reporters[lo - first:hi - first, f.service] += f.clients
        buckets = START + (first + np.arange(self.per_day)) * self.bucket_seconds
        return DayArrays(buckets=buckets.astype(np.int64), reports=reports, posts=posts, reporters=reporters,
                         normal_rate=normal, rate=rate)

    def history(self) -> SyntheticHistory:
        days = [self.day(d) for d in range(self.days)]
        return SyntheticHistory(
            names=self.names, bucket_seconds=self.bucket_seconds,
            buckets=np.concatenate([d.buckets for d in days]),
            reports=np.concatenate([d.reports for d in days]), posts=np.concatenate([d.posts for d in days]),
            reporters=np.concatenate([d.reporters for d in days]),
            normal_rate=np.concatenate([d.normal_rate for d in days]),
            rate=np.concatenate([d.rate for d in days]), dispersion=self.dispersion,
            outages=self.outages, floods=self.floods)


def _apart(events: list[Outage]) -> list[Outage]:
    """Drop outages that overlap (or follow within a day) an earlier one of the same service."""
    kept: list[Outage] = []
    last_end: dict[int, int] = {}
    for o in sorted(events, key=lambda e: (e.service, e.onset)):
        if o.onset >= last_end.get(o.service, -1):
            kept.append(o)
            last_end[o.service] = o.onset + o.duration + 1440
    return kept
