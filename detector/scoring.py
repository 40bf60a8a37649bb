"""How surprising a count is under a negative binomial baseline, and the CUSUM increment for a rise.

The count model is negative binomial with mean ``mu`` and variance ``var = mu + r * mu**2`` (``r`` = 0
is Poisson). The anomaly score is ``1 - P(X >= x)``, the upper tail probability, computed exactly
(regularised incomplete beta/gamma functions) wherever it matters (the normal approximation puts the
count more than one standard deviation above the mean; counts are right-skewed, so the exact tail there
is no smaller than the normal one) and by the normal approximation elsewhere, where the score is far
from 1.
"""

from __future__ import annotations

import numpy as np
from scipy import special

TAIL_GATE_Z = 1.0
MIN_MEAN = 1e-6
POISSON_BELOW = 1e-6


def upper_tail(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """P(X >= x) for X negative binomial(mu, var), elementwise; x may be fractional (weighted posts)."""
    z = (x - 0.5 - mu) / np.sqrt(var)
    p = special.ndtr(-z)
    gated = np.flatnonzero(z > TAIL_GATE_Z)
    if gated.size:
        p[gated] = exact_upper_tail(x[gated], mu[gated], var[gated])
    return p


def exact_upper_tail(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """P(X >= x) by the incomplete beta function (negative binomial) or gamma function (Poisson)."""
    mu = np.maximum(mu, MIN_MEAN)
    r = np.maximum(var - mu, 0.0) / (mu * mu)
    positive = x > 0
    safe_x = np.where(positive, x, 1.0)
    poisson = special.gammainc(safe_x, mu)
    size = 1.0 / np.maximum(r, POISSON_BELOW)
    negative_binomial = special.betainc(safe_x, size, mu / (mu + size))
    tail = np.where(r < POISSON_BELOW, poisson, negative_binomial)
    return np.where(positive, tail, 1.0)


def rise_llr(x: np.ndarray, mu: np.ndarray, var: np.ndarray, ratio: float, min_shift: float) -> np.ndarray:
    """Log-likelihood ratio of "the mean rose to max(mu * ratio, mu + min_shift)" against "it is mu"."""
    mu = np.maximum(mu, MIN_MEAN)
    risen = np.maximum(mu * ratio, mu + min_shift)
    size = mu * mu / np.maximum(var - mu, POISSON_BELOW * mu * mu)
    slope = np.log(risen * (size + mu) / (mu * (size + risen)))
    return x * slope - size * np.log1p((risen - mu) / (size + mu))


def log_surprise(p: np.ndarray) -> np.ndarray:
    """-log10 of a tail probability, capped so that p = 0 stays finite."""
    return -np.log10(np.maximum(p, 1e-300))
