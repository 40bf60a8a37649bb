"""One bucket for many services: score, then decide, then learn — the only code path live and replay share.

``Engine.step(state, arrays, bucket)`` advances every service by one bucket, in place, and returns the
bucket's per-service outputs. It reads nothing after ``bucket`` (nothing looks ahead), and it learns
from a bucket only after scoring it, and never from an anomalous bucket or during an alarm.

Per bucket and service:
1. expected = level * hod[hour] * dow[weekday]; the crowd count is reports + posts (weighted);
2. score = 1 - P(X >= observed) under a negative binomial with the learned over-dispersion, and a
   CUSUM of the log-likelihood ratio "the mean rose" (``scoring.rise_llr``) catches sustained rises;
3. a state machine with hysteresis (``machine.advance``) turns evidence into up/degraded/down;
4. the baseline learns from the bucket unless it was anomalous (``baseline.learn``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector import baseline, machine
from detector.inputs import BucketArrays
from detector.scoring import MIN_MEAN, log_surprise, rise_llr, upper_tail
from detector.settings import DetectorSettings
from detector.state import STATUS_UNKNOWN, DetectorState


@dataclass(slots=True)
class StepOutput:
    """One bucket's results, one entry per service."""

    observed: np.ndarray
    expected: np.ndarray
    score: np.ndarray
    status: np.ndarray
    confidence: np.ndarray | None
    """``None`` when the caller asked for none (a replay that keeps no timeline)."""
    changed: np.ndarray
    """Indices of services whose alarm opened or closed an incident in this bucket."""
    alarm_before: np.ndarray


class Engine:
    """The per-bucket update, with the settings turned into per-bucket rates once."""

    def __init__(self, settings: DetectorSettings) -> None:
        self.settings = settings
        self.rates = baseline.Rates.from_settings(settings)
        self.cusum_min_shift = settings.per_bucket(settings.cusum_min_shift_per_day)
        self.warmup_buckets = settings.warmup_days * settings.buckets_per_day
        self.full_confidence_buckets = settings.full_confidence_days * settings.buckets_per_day
        self.young_buckets = max(self.warmup_buckets, self.rates.mature_buckets)
        self.fast_rate = 1.0 - 0.5 ** (1.0 / settings.fast_halflife_buckets)
        self.down_surprise = float(log_surprise(np.array([1.0 - settings.score_down]))[0])

    def step(self, state: DetectorState, arrays: BucketArrays, bucket: int,
             with_confidence: bool = True) -> StepOutput:
        """Advance every service by the bucket starting at epoch second ``bucket``, in place."""
        s = self.settings
        hour, weekday = baseline.slots(bucket)
        expected = baseline.expected(state, hour, weekday)
        observed = arrays.reports + arrays.posts
        var = baseline.variance(state, expected, s.max_dispersion)
        p = upper_tail(observed, expected, var)
        score = 1.0 - p
        llr = rise_llr(observed, expected, var, s.cusum_ratio, self.cusum_min_shift)

        young = bool(state.seen.min(initial=np.inf) < self.young_buckets)
        cold = state.seen < self.warmup_buckets if young else None
        stale = baseline.stale(state, arrays, expected, s.stale_share)
        saved = machine.snapshot(state, stale)
        alarm_before = state.alarm.copy()
        machine.advance(self, state, arrays, bucket, observed, expected, score, llr, cold)
        learn = baseline.learn_mask(self, state, score, cold, alarm_before)
        if saved is not None:
            machine.restore(state, saved)
            learn[saved.index] = False
        baseline.learn(state, self.rates, hour, weekday, observed, arrays.posts, expected, learn, young)
        state.seen += 1.0

        status = state.alarm.copy()
        unknown = cold if stale is None else stale if cold is None else cold | stale
        if unknown is not None:
            status[unknown] = STATUS_UNKNOWN
        moved = status != state.status
        if moved.any():
            machine.mark_since(state, status, moved, bucket)
        state.last_bucket.fill(bucket)
        confidence = machine.confidence(self, state, p, status, arrays) if with_confidence else None
        changed = np.flatnonzero(alarm_before != state.alarm)
        return StepOutput(observed=observed, expected=np.maximum(expected, MIN_MEAN), score=score,
                          status=status, confidence=confidence, changed=changed, alarm_before=alarm_before)
