"""A small driver for scenario tests: one service with a daily rhythm, fed bucket by bucket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from detector.inputs import SOURCE_KINDS, BucketObservation
from detector.live import LiveDetector, Tick
from downwatch.records import Kind

START = datetime(2025, 2, 3, tzinfo=UTC)  # a Monday


def normal_rate(minute: int, per_minute: float = 2.0) -> float:
    hour = (minute % 1440) / 60.0
    return per_minute * (1.0 + 0.5 * np.cos(2 * np.pi * (hour - 15.0) / 24.0))


@dataclass
class Feed:
    """Feeds one service ("bt") minute by minute and remembers every tick."""

    detector: LiveDetector
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))
    minute: int = 0
    statuses: list[str] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return START + timedelta(minutes=self.minute)

    def bucket(self, reports: float, reporters: float | None = None, posts: float = 0.0,
               problems: Mapping[str, float] | None = None, locations: Mapping[str, float] | None = None,
               alive: frozenset[Kind] = frozenset(SOURCE_KINDS), official: str | None = None,
               probe_failed: float = 0.0, probe_checks: float = 0.0) -> str:
        obs = BucketObservation(service="bt", bucket=self.now, reports=reports, posts=posts,
                                reporters=reporters, problems=problems or {}, locations=locations or {},
                                alive=alive, official=official, probe_failed=probe_failed,
                                probe_checks=probe_checks)
        self.ticks.append(self.detector.update(self.now, {"bt": obs}, now=self.now))
        self.minute += 1
        status = self.detector.verdict("bt").status.value
        self.statuses.append(status)
        return status

    def normal(self, minutes: int, **kw: object) -> list[str]:
        return [self.bucket(float(self.rng.poisson(normal_rate(self.minute))), **kw)  # type: ignore[arg-type]
                for _ in range(minutes)]
