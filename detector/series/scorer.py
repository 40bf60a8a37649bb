"""The general streaming anomaly scorer behind ``downwatch score``.

Each row is seen through several causal views (the value, short rolling means, roughness of the
recent steps, and the change against the same time yesterday when the series has a regular step).
Each view's feature is ranked against that view's own recent history (a lagged empirical
distribution, :class:`~detector.series.reference.LaggedReference`), which turns counts, latencies,
temperatures or anything else into comparable surprises in nats, both upwards and downwards. The
row's surprise is the mean over the views: one noisy view alone rarely crosses the alarm level,
while a real change moves several views at once.

A view whose reference holds fewer than ``min_reference_rows`` values adds no surprise yet, and
the first ``warmup_rows`` rows score 0 and raise no alarm: a handful of past values cannot say
what is unusual.

The seasonal memory never keeps a suspect row (surprise at or above ``suspect_surprise``): it keeps
the same time yesterday again instead, so an outage does not raise an alarm a day later.

An alarm (surprise at or above ``alarm_surprise``) is reported once: for ``quiet_seconds`` (one
day) after it the score is 0, so one event yields one early flag and not a burst. The quiet time is
measured on the series' clock, not in rows, so it means the same at any step. The raw,
unsuppressed surprise of the last row scored is kept in :attr:`StreamingScorer.last_surprise`.

The scorer is strictly causal: ``score_one`` reads only state built by ``learn_one`` from earlier
rows, and ``learn_one`` only appends. Use ``process`` (score, then learn) for row-by-row streaming.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from detector.series.features import DAY_SECONDS, RecentValues, SeasonalMemory
from detector.series.reference import LaggedReference


@dataclass(frozen=True, slots=True)
class ScorerConfig:
    """The one configuration used for every series; rows are rows of the input, whatever the step."""

    reference_rows: int = 6000
    reference_lag_rows: int = 24
    level_rows: tuple[int, ...] = (1, 6, 24)
    roughness_rows: tuple[int, ...] = (12, 48)
    seasonal_rows: tuple[int, ...] = (1, 12)
    alarm_surprise: float = 5.0
    suspect_surprise: float = 3.0
    quiet_seconds: float = DAY_SECONDS
    warmup_rows: int = 300
    min_reference_rows: int = 100
    score_scale: float = 10.0


def surprise_to_score(surprise: float, scale: float) -> float:
    """Squash a surprise in nats (>= 0) into [0, 1), monotonically."""
    return 1.0 - math.exp(-surprise / scale)


class StreamingScorer:
    """Score first, then learn: ``score = scorer.score_one(t, x); scorer.learn_one(t, x)``.

    ``when`` is seconds since the epoch (UTC). The clock never goes backwards: a row with a time
    at or before the latest seen is treated as arriving at the latest time.
    """

    def __init__(self, config: ScorerConfig | None = None) -> None:
        self.config = config or ScorerConfig()
        cfg = self.config
        longest = max((*cfg.level_rows, *cfg.roughness_rows, *cfg.seasonal_rows))
        self._recent = RecentValues(longest + 1)
        self._memories = {rows: SeasonalMemory() for rows in cfg.seasonal_rows}
        n_views = len(cfg.level_rows) + len(cfg.roughness_rows) + len(cfg.seasonal_rows)
        self._references = [LaggedReference(cfg.reference_rows, cfg.reference_lag_rows)
                            for _ in range(n_views)]
        self._clock = -math.inf
        self._step = 0.0
        self._quiet_until = -math.inf
        self._learned = 0
        self._assessed: tuple[tuple[float, float], list[float | None], float] | None = None
        self.last_surprise = 0.0

    def _features(self, now: float, value: float) -> list[float | None]:
        cfg = self.config
        features: list[float | None] = [self._recent.mean_with(value, rows) for rows in cfg.level_rows]
        has_history = len(self._recent) > 0
        features += [self._recent.roughness_with(value, rows) if has_history else None
                     for rows in cfg.roughness_rows]
        tolerance = 0.5 * self._step
        for rows in cfg.seasonal_rows:
            past = self._memories[rows].at(now - DAY_SECONDS, tolerance) if tolerance > 0 else None
            features.append(None if past is None else self._recent.mean_with(value, rows) - past)
        return features

    def _assess(self, when: float, value: float) -> tuple[list[float | None], float]:
        """This row's features and its surprise, computed once per row and reused by ``learn_one``."""
        key = (when, value)
        if self._assessed is not None and self._assessed[0] == key:
            return self._assessed[1], self._assessed[2]
        features = self._features(max(when, self._clock), value)
        total = 0.0
        for feature, reference in zip(features, self._references, strict=True):
            if feature is not None and len(reference) >= self.config.min_reference_rows:
                total += max(reference.surprise(feature))
        surprise = total / len(self._references)
        self._assessed = (key, features, surprise)
        return features, surprise

    def surprise(self, when: float, value: float) -> float:
        """Mean over the views of the two-sided surprise (nats) of this row; no suppression."""
        return self._assess(when, value)[1]

    def score_one(self, when: float, value: float) -> float:
        """The anomaly score of this row in [0, 1], from this row and the rows learned before it."""
        surprise = self.surprise(when, value)
        if self._learned < self.config.warmup_rows or max(when, self._clock) < self._quiet_until:
            return 0.0
        return surprise_to_score(surprise, self.config.score_scale)

    def learn_one(self, when: float, value: float) -> None:
        """Take this row into the state (call after ``score_one`` for the same row)."""
        now = max(when, self._clock)
        features, surprise = self._assess(when, value)
        self._assessed = None
        self.last_surprise = surprise
        self._learned += 1
        if (self._learned > self.config.warmup_rows and now >= self._quiet_until
                and surprise >= self.config.alarm_surprise):
            self._quiet_until = now + self.config.quiet_seconds
        for feature, reference in zip(features, self._references, strict=True):
            if feature is not None:
                reference.learn(feature)
        tolerance = 0.5 * self._step
        for rows, memory in self._memories.items():
            remembered = self._recent.mean_with(value, rows)
            if surprise >= self.config.suspect_surprise and tolerance > 0:
                yesterday = memory.at(now - DAY_SECONDS, tolerance)
                remembered = remembered if yesterday is None else yesterday
            memory.append(now, remembered)
        if now > self._clock > -math.inf:
            step = now - self._clock
            self._step = step if self._step == 0 else 0.98 * self._step + 0.02 * min(step, 10 * self._step)
        self._clock = now
        self._recent.append(value)

    def process(self, when: float, value: float) -> float:
        """Score this row, then learn it; returns the score."""
        score = self.score_one(when, value)
        self.learn_one(when, value)
        return score


def score_series(points: Iterable[tuple[float, float]], config: ScorerConfig | None = None) -> list[float]:
    """Anomaly scores of ``(epoch seconds, value)`` rows, each computed causally, in order."""
    scorer = StreamingScorer(config)
    return [scorer.process(when, value) for when, value in points]
