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

The intermediates live in a ``Workspace`` sized to the state (see ``detector.workspace``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from detector import baseline, machine
from detector.inputs import BucketArrays
from detector.scoring import log_surprise, rise_llr_into, tail_from_z
from detector.settings import DetectorSettings
from detector.state import STATUS_UNKNOWN, DetectorState
from detector.workspace import Workspace

NO_CHANGE = np.empty(0, dtype=np.intp)
NO_CHANGE.flags.writeable = False


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
        self._workspace: Workspace | None = None
        scalars: dict[str, Any] = {f.name: np.float64(getattr(settings, f.name))
                                   for f in fields(settings) if f.name != "bucket_seconds"}
        self.limits = replace(settings, **scalars)
        """The settings as numpy scalars, for comparisons with arrays: numpy combines an array with a
        Python float about twice as slowly (same values, same results)."""

    def workspace(self, n: int) -> Workspace:
        """Buffers for ``n`` services, kept for the next step of the same size."""
        if self._workspace is None or self._workspace.size != n:
            r = self.rates
            self._workspace = Workspace(n, self.settings, (r.level, r.hod, r.dow, r.dispersion),
                                        self.cusum_min_shift)
        return self._workspace

    def step(self, state: DetectorState, arrays: BucketArrays, bucket: int,
             with_confidence: bool = True) -> StepOutput:
        """Advance every service by the bucket starting at epoch second ``bucket``, in place."""
        s = self.settings
        work = self.workspace(state.size)
        c, scratch = work.constants, work.scratch
        hour, weekday = baseline.slots(bucket)
        expected = baseline.expected(state, hour, weekday, c, scratch)
        observed = arrays.reports + arrays.posts
        mu_safe = np.maximum(expected, c.min_mean)
        var = baseline.variance(state, mu_safe, c, scratch)
        negative_z = scratch.deviation
        np.subtract(observed, c.half, out=negative_z)
        np.subtract(expected, negative_z, out=negative_z)
        np.sqrt(var, out=scratch.term)
        np.divide(negative_z, scratch.term, out=negative_z)
        p = tail_from_z(observed, mu_safe, var, negative_z)
        score = np.subtract(c.one, p)
        llr = rise_llr_into(observed, mu_safe, var, c, scratch)

        young = bool(state.seen.min(initial=np.inf) < self.young_buckets)
        cold = state.seen < self.warmup_buckets if young else None
        stale = baseline.stale(state, arrays, s.stale_share)
        saved = machine.snapshot(state, stale)
        alarm_before = state.alarm.copy()
        decided = machine.advance(self, state, arrays, bucket, observed, expected, score, llr, cold, work)
        learn = baseline.learn_mask(self, state, score, cold, alarm_before, scratch)
        if saved is not None:
            machine.restore(state, saved)
            learn[saved.index] = 0.0
        baseline.learn(state, self.rates, c, scratch, hour, weekday, observed, arrays.posts, expected, young)
        np.add(state.seen, c.one, out=state.seen)

        status = state.alarm.copy()
        unknown = cold if stale is None else stale if cold is None else cold | stale
        if unknown is not None:
            np.putmask(status, unknown, float(STATUS_UNKNOWN))
        moved = status != state.status
        if np.count_nonzero(moved):
            machine.mark_since(state, status, moved, bucket)
        state.last_bucket.fill(bucket)
        confidence = machine.confidence(self, state, p, status, arrays) if with_confidence else None
        changed = (alarm_before != state.alarm).nonzero()[0] if decided else NO_CHANGE
        return StepOutput(observed=observed, expected=mu_safe, score=score, status=status,
                          confidence=confidence, changed=changed, alarm_before=alarm_before)
