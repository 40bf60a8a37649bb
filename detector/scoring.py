"""How surprising a count is under a negative binomial baseline, and the CUSUM increment for a rise.

The count model is negative binomial with mean ``mu`` and variance ``var = mu + r * mu**2`` (``r`` = 0
is Poisson). The anomaly score is ``1 - P(X >= x)``, the upper tail probability, computed exactly
(regularised incomplete beta/gamma functions) wherever a decision reads it: where the normal
approximation puts the count more than ``TAIL_GATE_Z`` = 2 standard deviations above the mean. Below
that the normal tail is above 0.0228, so every score there is below 0.977 and below every score
threshold of the rule (``recover_score`` 0.99, ``learn_below_score`` 0.999, ``score_degraded``): the
cheap normal approximation changes no decision, only how near one a calm bucket is shown to be.

``Engine.step`` calls ``tail_from_z`` with the deviation ``passes.before_tails`` computed;
``upper_tail`` is the same for callers without one (the verdict's per-source scores).
"""

from __future__ import annotations

import numpy as np
from scipy import special

TAIL_GATE_Z = 2.0
MIN_MEAN = 1e-6
POISSON_BELOW = 1e-6


def upper_tail(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """P(X >= x) for X negative binomial(mu, var), elementwise; x may be fractional (weighted posts)."""
    return tail_from_z(x, np.maximum(mu, MIN_MEAN), var, (mu - (x - 0.5)) / np.sqrt(var))


def tail_from_z(x: np.ndarray, mu_safe: np.ndarray, var: np.ndarray, negative_z: np.ndarray) -> np.ndarray:
    """``upper_tail`` given ``negative_z = (mu - (x - 0.5)) / sqrt(var)`` (exactly -z) and ``mu_safe =
    max(mu, MIN_MEAN)``: the normal tail everywhere, replaced by the exact one where z > TAIL_GATE_Z."""
    p: np.ndarray = special.ndtr(negative_z)
    gated = (negative_z < -TAIL_GATE_Z).nonzero()[0]
    if gated.size:
        p[gated] = exact_upper_tail(x[gated], mu_safe[gated], var[gated])
    return p


def exact_upper_tail(x: np.ndarray, mu_safe: np.ndarray, var: np.ndarray) -> np.ndarray:
    """P(X >= x) by the incomplete gamma function (Poisson, r below POISSON_BELOW) or the incomplete
    beta function (negative binomial), each evaluated only for its own rows; 1 where x <= 0."""
    mu = mu_safe
    r = np.maximum(var - mu, 0.0) / (mu * mu)
    positive = x > 0
    all_positive = np.count_nonzero(positive) == x.size
    safe_x = x if all_positive else np.where(positive, x, 1.0)
    poisson = r < POISSON_BELOW
    poisson_rows = np.count_nonzero(poisson)
    if poisson_rows == x.size:
        tail: np.ndarray = special.gammainc(safe_x, mu)
    elif poisson_rows == 0:
        tail = _negative_binomial_tail(safe_x, mu, r)
    else:
        tail = np.empty_like(mu)
        pick = poisson.nonzero()[0]
        tail[pick] = special.gammainc(safe_x[pick], mu[pick])
        pick = (~poisson).nonzero()[0]
        tail[pick] = _negative_binomial_tail(safe_x[pick], mu[pick], r[pick])
    if not all_positive:
        np.putmask(tail, ~positive, 1.0)
    return tail


def _negative_binomial_tail(x: np.ndarray, mu: np.ndarray, r: np.ndarray) -> np.ndarray:
    size = 1.0 / np.maximum(r, POISSON_BELOW)
    tail: np.ndarray = special.betainc(x, size, mu / (mu + size))
    return tail


def log_surprise(p: np.ndarray) -> np.ndarray:
    """-log10 of a tail probability, capped so that p = 0 stays finite."""
    return -np.log10(np.maximum(p, 1e-300))
