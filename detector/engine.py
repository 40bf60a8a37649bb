"""One bucket for many services: score, then decide, then learn — the only code path live and replay share.

``Engine.step(state, arrays, bucket)`` advances every service by one bucket, in place, and returns the
bucket's per-service outputs. It reads nothing after ``bucket`` (nothing looks ahead), and it learns
from a bucket only after scoring it, and never from an anomalous bucket or during an alarm.

Per bucket and service:
1. expected = level * hod[hour] * dow[weekday]; the crowd count is reports + posts (weighted);
2. score = 1 - P(X >= observed) under a negative binomial with the service's over-dispersion
   (``dispersion``, ``scoring``), and a CUSUM of the log-likelihood ratio "the mean rose" (``cusum``)
   catches sustained rises;
3. a state machine with hysteresis (``machine``) turns evidence into up/degraded/down;
4. the baseline learns from the bucket unless it was anomalous (``baseline``);
5. how sure the shown status is (``confidence``).

The per-service arithmetic runs compiled (``passes``, ``detector.jit``); the special functions (normal
and exact negative-binomial tails, log, log1p) run in numpy/scipy on whole arrays in between. Every
number it reads is a field of ``detector.limits.Limits``, derived from the settings once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector import baseline, cusum, passes
from detector.confidence import confidence
from detector.inputs import BucketArrays
from detector.limits import limits_of
from detector.scoring import tail_from_z
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
    dispersion: np.ndarray
    """The over-dispersion r each count was judged with (variance = expected + r * expected^2)."""
    score: np.ndarray
    decision: np.ndarray | None
    """How near the incident rule is to opening an incident (< 0.5) or how deep into one the service is
    (>= 0.5), in [0, 1] (``detector.decision``); ``None`` unless the caller asked for it."""
    status: np.ndarray
    confidence: np.ndarray | None
    """``None`` when the caller asked for none (a replay that keeps no timeline)."""
    changed: np.ndarray
    """Indices of services whose alarm opened or closed an incident in this bucket."""
    alarm_before: np.ndarray


class Engine:
    """The per-bucket update, with the settings turned into per-bucket numbers once."""

    def __init__(self, settings: DetectorSettings) -> None:
        self.settings = settings
        self.limits = limits_of(settings)
        self.packed_limits = self.limits.packed()
        """``limits`` as the compiled passes read them."""
        self._workspace: Workspace | None = None

    def workspace(self, n: int) -> Workspace:
        """Buffers for ``n`` services, kept for the next step of the same size."""
        if self._workspace is None or self._workspace.size != n:
            self._workspace = Workspace(n)
        return self._workspace

    def step(self, state: DetectorState, arrays: BucketArrays, bucket: int,
             with_confidence: bool = True, with_decision: bool = False) -> StepOutput:
        """Advance every service by the bucket starting at epoch second ``bucket``, in place."""
        n = state.size
        work = self.workspace(n)
        hour, weekday = baseline.slots(bucket)
        observed, mu, dispersion = np.empty(n), np.empty(n), np.empty(n)
        young = passes.before_tails(
            state.rows, hour, weekday, arrays.reports, arrays.posts, self.packed_limits, work.daily,
            work.weekly, work.expected, observed, mu, dispersion, work.variance, work.negative_z,
            work.size_parameter, work.log_slope, work.log_shrink)
        p = tail_from_z(observed, mu, work.variance, work.negative_z)
        cusum.take_logs(work.log_slope, work.log_shrink)
        stale = baseline.stale(state, arrays, self.settings.stale_share)
        probe_failed, probe_checks = arrays.probe_failed, arrays.probe_checks
        probes = probe_failed is not None and probe_checks is not None
        if probe_failed is None or probe_checks is None:
            probe_failed = probe_checks = NO_FLOATS
        score, status, alarm_before = np.empty(n), np.empty(n), np.empty(n)
        changed = np.empty(n, dtype=np.intp)
        decided = np.empty(n if with_decision else 0)
        official = NO_CODES if arrays.official is None else arrays.official
        n_changed = passes.after_tails(
            state.rows, float(bucket), observed, work.expected, arrays.reporters, arrays.posts, p,
            work.log_slope, work.log_shrink, work.size_parameter, work.variance, work.daily, work.weekly,
            hour, weekday,
            young, probe_failed, probe_checks, probes, official, arrays.official is not None,
            NO_FLAGS if stale is None else stale, stale is not None, self.packed_limits, score, status,
            alarm_before, changed, decided, with_decision)
        sure = confidence(self.limits, state, p, status, arrays.official) if with_confidence else None
        return StepOutput(observed=observed, expected=mu, dispersion=dispersion, score=score,
                          decision=decided if with_decision else None, status=status, confidence=sure,
                          changed=changed[:n_changed], alarm_before=alarm_before)
