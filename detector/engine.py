"""One bucket for many services: score, then decide, then learn — the only code path live and replay share.

``Engine.step(state, arrays, bucket)`` advances every service by one bucket, in place, and returns the
bucket's per-service outputs. It reads nothing after ``bucket`` (nothing looks ahead), and it learns
from a bucket only after scoring it, and never from an anomalous bucket or during an alarm.

Per bucket and service:
1. expected = level * hod[hour] * dow[weekday]; the crowd count is reports + posts (weighted);
2. score = 1 - P(X >= observed) under a negative binomial with the learned over-dispersion, and a
   CUSUM of the log-likelihood ratio "the mean rose" (``passes``) catches sustained rises;
3. a state machine with hysteresis (``machine``) turns evidence into up/degraded/down;
4. the baseline learns from the bucket unless it was anomalous (``baseline``).

The per-service arithmetic runs compiled (``passes``, ``detector.jit``); the special functions (normal
and exact negative-binomial tails, log, log1p) run in numpy/scipy on whole arrays in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from detector import baseline, jit, machine, passes
from detector.inputs import BucketArrays
from detector.scoring import log_surprise, tail_from_z
from detector.settings import DetectorSettings
from detector.state import DetectorState
from detector.workspace import Workspace

NO_FLOATS, NO_CODES, NO_FLAGS = np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
"""Stand-ins (never read) for absent probe, status and stale arrays: the same types as present ones,
so the compiled passes have one specialisation."""


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
        derived = {"cusum_min_shift": self.cusum_min_shift, "fast_rate": self.fast_rate,
                   "warmup_buckets": self.warmup_buckets, "young_buckets": self.young_buckets,
                   "relearn_buckets": self.rates.relearn_buckets,
                   "half_cusum_degraded": 0.5 * settings.cusum_degraded, "rate_level": self.rates.level,
                   "rate_hod": self.rates.hod, "rate_dow": self.rates.dow,
                   "rate_dispersion": self.rates.dispersion, "prior_buckets": self.rates.prior_buckets,
                   "hod_prior_buckets": self.rates.hod_prior_buckets,
                   "dow_prior_buckets": self.rates.dow_prior_buckets,
                   "hod_after_buckets": self.rates.hod_after_buckets,
                   "dow_after_buckets": self.rates.dow_after_buckets,
                   "run_significance_z": NormalDist().inv_cdf(1.0 - settings.run_significance)}
        self.limits = np.array([float(derived[name]) if name in derived else float(getattr(settings, name))
                                for name in jit.LIMITS])
        """Every number the compiled passes read, in the order of ``jit.LIMITS``."""

    def workspace(self, n: int) -> Workspace:
        """Buffers for ``n`` services, kept for the next step of the same size."""
        if self._workspace is None or self._workspace.size != n:
            self._workspace = Workspace(n)
        return self._workspace

    def step(self, state: DetectorState, arrays: BucketArrays, bucket: int,
             with_confidence: bool = True) -> StepOutput:
        """Advance every service by the bucket starting at epoch second ``bucket``, in place."""
        n = state.size
        work = self.workspace(n)
        hour, weekday = baseline.slots(bucket)
        observed, mu = np.empty(n), np.empty(n)
        young = passes.before_tails(state.rows, hour, weekday, arrays.reports, arrays.posts, self.limits,
                                    work.daily, work.weekly, work.expected, observed, mu, work.variance,
                                    work.negative_z, work.size_parameter, work.log_slope, work.log_shrink)
        p = tail_from_z(observed, mu, work.variance, work.negative_z)
        np.log(work.log_slope, out=work.log_slope)
        np.log1p(work.log_shrink, out=work.log_shrink)
        stale = baseline.stale(state, arrays, self.settings.stale_share)
        probe_failed, probe_checks = arrays.probe_failed, arrays.probe_checks
        probes = probe_failed is not None and probe_checks is not None
        if probe_failed is None or probe_checks is None:
            probe_failed = probe_checks = NO_FLOATS
        score, status, alarm_before = np.empty(n), np.empty(n), np.empty(n)
        changed = np.empty(n, dtype=np.intp)
        official = NO_CODES if arrays.official is None else arrays.official
        n_changed = passes.after_tails(
            state.rows, float(bucket), observed, work.expected, arrays.reporters, arrays.posts, p,
            work.log_slope, work.log_shrink, work.size_parameter, work.daily, work.weekly, hour, weekday,
            young, probe_failed, probe_checks, probes, official, arrays.official is not None,
            NO_FLAGS if stale is None else stale, stale is not None, self.limits, score, status,
            alarm_before, changed)
        confidence = machine.confidence(self, state, p, status, arrays) if with_confidence else None
        return StepOutput(observed=observed, expected=mu, score=score, status=status, confidence=confidence,
                          changed=changed[:n_changed], alarm_before=alarm_before)
