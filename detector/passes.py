"""One bucket of every service, compiled, in two passes around the special functions.

``before_tails`` computes per service the expected count (``baseline``), the negative-binomial
variance, the standardised deviation the tail probability starts from, and the terms of the CUSUM
increment "the mean rose to max(mu * cusum_ratio, mu + cusum_min_shift)":

    llr = x * log(slope_of) - size * log1p(shrink_of),  size = mu^2 / max(var - mu, 1e-6 mu^2),
    slope_of = risen (size + mu) / (mu (size + risen)),  shrink_of = (risen - mu) / (size + mu).

The engine then evaluates the tails (``scoring``) and the log/log1p with numpy on whole arrays, and
``after_tails`` finishes the bucket: score and CUSUM (``machine.advance``), the state machine for the
candidates (``machine.decide``), what the baseline learns (``baseline``) and the shown status
(``machine.show``). Each pass is a short loop of its own, which the compiler keeps tight.
"""

from __future__ import annotations

import math

import numpy as np

from detector import baseline, machine
from detector.jit import (
    CUSUM_MIN_SHIFT,
    CUSUM_RATIO,
    DISP_DEN,
    DISP_NUM,
    DOW,
    DOW_SUM,
    HOD,
    HOD_PRIOR_BUCKETS,
    HOD_SUM,
    LEVEL,
    MAX_DISPERSION,
    SEEN,
    WARMUP_BUCKETS,
    YOUNG_BUCKETS,
    YOUNG_PROFILE_DISPERSION,
    compiled,
    maximum,
    minimum,
)
from detector.scoring import MIN_MEAN, POISSON_BELOW


@compiled
def before_tails(rows: np.ndarray, hour: int, weekday: int, reports: np.ndarray, posts: np.ndarray,
                 limits: np.ndarray, daily: np.ndarray, weekly: np.ndarray, expected: np.ndarray,
                 observed: np.ndarray, mu: np.ndarray, var: np.ndarray, negative_z: np.ndarray,
                 size: np.ndarray, slope_of: np.ndarray, shrink_of: np.ndarray) -> bool:
    """Fill the per-service arrays the tails and the CUSUM need; True when some service is young.

    ``slope_of``/``shrink_of`` are the arguments of the log and log1p in the CUSUM increment
    x * log(slope_of) - size * log1p(shrink_of) (see the module docstring).
    """
    max_dispersion, ratio, shift = limits[MAX_DISPERSION], limits[CUSUM_RATIO], limits[CUSUM_MIN_SHIFT]
    young_buckets = limits[YOUNG_BUCKETS]
    young_dispersion, hod_prior = limits[YOUNG_PROFILE_DISPERSION], limits[HOD_PRIOR_BUCKETS]
    young = False
    for i in range(rows.shape[1]):
        d = rows[HOD + hour, i] * (24.0 / rows[HOD_SUM, i])
        w = rows[DOW + weekday, i] * (7.0 / rows[DOW_SUM, i])
        e = rows[LEVEL, i] * d * w
        x = reports[i] + posts[i]
        m = maximum(e, MIN_MEAN)
        r = minimum(maximum(rows[DISP_NUM, i] / maximum(rows[DISP_DEN, i], 1e-12), 0.0), max_dispersion)
        r = r + young_dispersion * hod_prior / (rows[SEEN, i] / 24.0 + hod_prior)
        v = m + r * m * m
        daily[i], weekly[i], expected[i], observed[i], mu[i], var[i] = d, w, e, x, m, v
        negative_z[i] = (e - (x - 0.5)) / math.sqrt(v)
        risen = maximum(m * ratio, m + shift)
        k = (m * m) / maximum(v - m, POISSON_BELOW * m * m)
        k_mu = k + m
        size[i] = k
        slope_of[i] = (risen * k_mu) / (m * (k + risen))
        shrink_of[i] = (risen - m) / k_mu
        if rows[SEEN, i] < young_buckets:
            young = True
    return young


@compiled
def after_tails(rows: np.ndarray, bucket: float, observed: np.ndarray, expected: np.ndarray,
                reporters: np.ndarray, posts: np.ndarray, p: np.ndarray, log_slope: np.ndarray,
                log_shrink: np.ndarray, size: np.ndarray, daily: np.ndarray, weekly: np.ndarray,
                hour: int, weekday: int, young: bool, probe_failed: np.ndarray, probe_checks: np.ndarray,
                has_probes: bool, official: np.ndarray, has_official: bool, stale: np.ndarray,
                has_stale: bool, limits: np.ndarray, score: np.ndarray, status: np.ndarray,
                alarm_before: np.ndarray, changed: np.ndarray) -> int:
    """Score, CUSUM, state machine, learning and shown status of every service; returns how many
    services' alarm opened or closed an incident, their indices first in ``changed``."""
    n = rows.shape[1]
    cold = rows[SEEN] < limits[WARMUP_BUCKETS] if young else np.zeros(n, dtype=np.bool_)
    candidates = machine.advance(rows, bucket, observed, expected, reporters, p, log_slope, log_shrink, size,
                                 cold, probe_failed, probe_checks, has_probes, official, has_official, stale,
                                 has_stale, limits, score, alarm_before, changed)
    for k in range(candidates):
        i = changed[k]
        outside = machine.outside_of(rows, i, has_probes, official, has_official, limits)
        machine.decide(rows, i, bucket, observed[i], expected[i], score[i], size[i], outside, cold[i],
                       limits)
    learning = np.empty(n)
    baseline.learn_mask(rows, score, cold, stale, has_stale, alarm_before, limits, learning)
    if young:
        baseline.learn_young(rows, hour, weekday, observed, posts, expected, daily, weekly, learning, limits)
    else:
        baseline.learn(rows, hour, weekday, observed, posts, expected, daily, weekly, learning, limits)
    return machine.show(rows, bucket, cold, stale, has_stale, alarm_before, status, changed)
