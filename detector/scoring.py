"""How surprising a count is under a negative binomial baseline, and the CUSUM increment for a rise.

The count model is negative binomial with mean ``mu`` and variance ``var = mu + r * mu**2`` (``r`` = 0
is Poisson). The anomaly score is ``1 - P(X >= x)``, the upper tail probability, computed exactly
(regularised incomplete beta/gamma functions) wherever it matters (the normal approximation puts the
count more than one standard deviation above the mean; counts are right-skewed, so the exact tail there
is no smaller than the normal one) and by the normal approximation elsewhere, where the score is far
from 1.

``Engine.step`` calls ``tail_from_z`` and ``rise_llr_into`` with its workspace buffers; ``upper_tail``
and ``rise_llr`` are the same arithmetic for callers without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    from detector.workspace import Constants, Scratch

TAIL_GATE_Z = 1.0
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


def rise_llr(x: np.ndarray, mu: np.ndarray, var: np.ndarray, ratio: float, min_shift: float) -> np.ndarray:
    """Log-likelihood ratio of "the mean rose to max(mu * ratio, mu + min_shift)" against "it is mu"."""
    mu = np.maximum(mu, MIN_MEAN)
    risen = np.maximum(mu * ratio, mu + min_shift)
    size = mu * mu / np.maximum(var - mu, POISSON_BELOW * mu * mu)
    slope = np.log(risen * (size + mu) / (mu * (size + risen)))
    return x * slope - size * np.log1p((risen - mu) / (size + mu))


def rise_llr_into(x: np.ndarray, mu_safe: np.ndarray, var: np.ndarray, c: Constants,
                  s: Scratch) -> np.ndarray:
    """``rise_llr`` with the settings' ratio and shift, written into ``s.numerator`` (returned)."""
    mu = mu_safe
    risen, size, size_mu, term, llr = s.risen, s.size, s.size_mu, s.term, s.numerator
    np.multiply(mu, c.cusum_ratio, out=risen)
    np.add(mu, c.cusum_min_shift, out=term)
    np.maximum(risen, term, out=risen)
    np.subtract(var, mu, out=s.excess)
    np.multiply(c.poisson_below, mu, out=term)
    np.multiply(term, mu, out=term)
    np.maximum(s.excess, term, out=s.excess)
    np.multiply(mu, mu, out=size)
    np.divide(size, s.excess, out=size)
    np.add(size, mu, out=size_mu)
    np.multiply(risen, size_mu, out=llr)
    np.add(size, risen, out=term)
    np.multiply(mu, term, out=term)
    np.divide(llr, term, out=llr)
    np.log(llr, out=llr)
    np.multiply(x, llr, out=llr)
    np.subtract(risen, mu, out=term)
    np.divide(term, size_mu, out=term)
    np.log1p(term, out=term)
    np.multiply(size, term, out=term)
    np.subtract(llr, term, out=llr)
    return llr


def log_surprise(p: np.ndarray) -> np.ndarray:
    """-log10 of a tail probability, capped so that p = 0 stays finite."""
    return -np.log10(np.maximum(p, 1e-300))
