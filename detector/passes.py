"""One bucket of every service, compiled, in two passes around the special functions.

``before_tails`` computes per service the expected count (``baseline.seasonal``), the variance of the
count model (``dispersion``), the standardised deviation the tail probability starts from, and the
terms of the CUSUM increment (``cusum.increment_terms``). The engine then evaluates the tails
(``scoring``) and the CUSUM's logs with numpy on whole arrays, and ``after_tails`` finishes the bucket:
score, CUSUM and candidates (``machine.advance``), the state machine for the candidates
(``machine.decide``), what the baseline learns (``baseline``) and the shown status (``machine.show``).
Each pass is a short loop of its own, which the compiler keeps tight. ``limits`` is
``Limits.packed()``.
"""

from __future__ import annotations

import math

import numpy as np

from detector import baseline, cusum, decision, machine
from detector.dispersion import learned_dispersion, variance, young_dispersion
from detector.jit import compiled, maximum
from detector.scoring import MIN_MEAN
from detector.state import DISP_DEN, DISP_NUM, SEEN


@compiled
def before_tails(rows: np.ndarray, hour: int, weekday: int, reports: np.ndarray, posts: np.ndarray,
                 limits: np.ndarray, daily: np.ndarray, weekly: np.ndarray, expected: np.ndarray,
                 observed: np.ndarray, mu: np.ndarray, dispersion: np.ndarray, var: np.ndarray,
                 negative_z: np.ndarray, size: np.ndarray, slope_of: np.ndarray,
                 shrink_of: np.ndarray) -> bool:
    """Fill the per-service arrays the tails and the CUSUM need; True when some service is young.

    ``slope_of``/``shrink_of`` are the arguments of the log and log1p in the CUSUM increment
    x * log(slope_of) - size * log1p(shrink_of) (``detector.cusum``).
    """
    lim = limits[0]
    max_dispersion, hod_prior = lim.max_dispersion, lim.hod_prior_buckets
    young_profile, young_buckets = lim.young_profile_dispersion, lim.young_buckets
    prior, prior_buckets = lim.dispersion_prior, lim.dispersion_prior_buckets
    after, memory = lim.dispersion_after_buckets, lim.dispersion_memory_buckets
    ratio, shift = lim.cusum_ratio, lim.cusum_min_shift
    young = False
    for i in range(rows.shape[1]):
        d, w, e = baseline.seasonal(rows, i, hour, weekday)
        x = reports[i] + posts[i]
        m = maximum(e, MIN_MEAN)
        seen = rows[SEEN, i]
        r = learned_dispersion(rows[DISP_NUM, i], rows[DISP_DEN, i], seen, max_dispersion, prior,
                               prior_buckets, after, memory)
        r += young_dispersion(seen, young_profile, hod_prior)
        v = variance(m, r)
        daily[i], weekly[i], expected[i], observed[i], mu[i], dispersion[i], var[i] = d, w, e, x, m, r, v
        negative_z[i] = (e - (x - 0.5)) / math.sqrt(v)
        size[i], slope_of[i], shrink_of[i] = cusum.increment_terms(m, v, ratio, shift)
        if seen < young_buckets:
            young = True
    return young


@compiled
def after_tails(rows: np.ndarray, bucket: float, observed: np.ndarray, expected: np.ndarray,
                reporters: np.ndarray, posts: np.ndarray, p: np.ndarray, log_slope: np.ndarray,
                log_shrink: np.ndarray, size: np.ndarray, variance_of: np.ndarray, daily: np.ndarray,
                weekly: np.ndarray, hour: int, weekday: int, young: bool, probe_failed: np.ndarray,
                probe_checks: np.ndarray, has_probes: bool, official: np.ndarray, has_official: bool,
                stale: np.ndarray, has_stale: bool, limits: np.ndarray, score: np.ndarray, status: np.ndarray,
                alarm_before: np.ndarray, changed: np.ndarray, decided: np.ndarray,
                with_decision: bool) -> int:
    """Score, CUSUM, state machine, learning and shown status of every service; returns how many
    services' alarm opened or closed an incident, their indices first in ``changed``. With
    ``with_decision``, ``decided`` gets each service's decision (``detector.decision``)."""
    n = rows.shape[1]
    lim = limits[0]
    cold = rows[SEEN] < lim.warmup_buckets if young else np.zeros(n, dtype=np.bool_)
    candidates = machine.advance(rows, bucket, observed, expected, reporters, p, log_slope, log_shrink, size,
                                 cold, probe_failed, probe_checks, has_probes, official, has_official, stale,
                                 has_stale, limits, score, alarm_before, changed)
    for k in range(candidates):
        i = changed[k]
        outside = machine.outside_of(rows, i, has_probes, official, has_official, lim)
        machine.decide(rows, i, bucket, observed[i], expected[i], score[i], size[i], outside, cold[i], lim)
    if with_decision:
        for i in range(n):
            outside = machine.outside_of(rows, i, has_probes, official, has_official, lim)
            stopped = has_stale and stale[i]
            decided[i] = 0.0 if stopped else decision.decision(rows, i, bucket, expected[i], p[i], size[i],
                                                              outside, cold[i], lim)
    learning = np.empty(n)
    baseline.learn_mask(rows, bucket, score, cold, stale, has_stale, alarm_before, limits, learning)
    if young:
        baseline.learn_young(rows, hour, weekday, observed, posts, expected, variance_of, daily, weekly,
                             learning, limits)
    else:
        baseline.learn(rows, hour, weekday, observed, posts, expected, variance_of, daily, weekly, learning,
                       limits)
    return machine.show(rows, bucket, cold, stale, has_stale, alarm_before, status, changed)
