"""The CUSUM: a sequential log-likelihood-ratio test for "the mean has risen", one per service.

Each bucket the count x is scored against two negative binomials with the same size parameter
k = mu^2 / max(var - mu, 1e-6 mu^2) (``detector.dispersion``): mean mu (the baseline) and the risen
mean m1 = max(mu * cusum_ratio, mu + cusum_min_shift), the smallest rise worth an alarm. The
log-likelihood ratio of one bucket is

    llr = x * log(m1 (k + mu) / (mu (k + m1))) - k * log1p((m1 - mu) / (k + mu)),

and S = max(0, S + llr) accumulates it (Page's CUSUM); S is held at 0 while the service is cold. A
run begins when S leaves 0; while it lasts (or an alarm is open) the run keeps the sums of observed
counts, expected counts and distinct reporters since its start, which the state machine uses as the
size of the rise. S >= cusum_degraded (and cusum_down) is evidence for an alarm; a CUSUM alone opens
one only when the run total is significant (``run_significant``). Recovery ends the run.

The terms of llr are computed per service (``increment_terms``), their logs on whole arrays in numpy
(``take_logs``), and the update in ``advance``.
"""

from __future__ import annotations

import math

import numpy as np

from detector.dispersion import young_dispersion
from detector.jit import compiled, maximum
from detector.limits import Limits
from detector.scoring import MIN_MEAN, POISSON_BELOW
from detector.state import CUSUM, RUN_EXP, RUN_OBS, RUN_REPORTERS, RUN_START, SEEN


@compiled
def increment_terms(mu: float, var: float, cusum_ratio: float,
                    cusum_min_shift: float) -> tuple[float, float, float]:
    """k and the arguments of the log and log1p in llr = x * log(slope_of) - k * log1p(shrink_of)."""
    risen = maximum(mu * cusum_ratio, mu + cusum_min_shift)
    k = (mu * mu) / maximum(var - mu, POISSON_BELOW * mu * mu)
    k_mu = k + mu
    return k, (risen * k_mu) / (mu * (k + risen)), (risen - mu) / k_mu


def take_logs(slope_of: np.ndarray, shrink_of: np.ndarray) -> None:
    """log(slope_of) and log1p(shrink_of), in place, on every service at once."""
    np.log(slope_of, out=slope_of)
    np.log1p(shrink_of, out=shrink_of)


@compiled
def advance(rows: np.ndarray, i: int, bucket: float, x: float, expected: float, reporters: float,
            log_slope: float, log_shrink: float, size: float, cold: bool, in_alarm: bool) -> float:
    """Add the bucket's llr to service ``i``'s CUSUM and run sums; returns the new CUSUM."""
    llr = x * log_slope - size * log_shrink
    old = rows[CUSUM, i]
    cusum = maximum(old + llr, 0.0)
    if cold:
        cusum = 0.0
    in_run = cusum > 0.0
    if old <= 0.0 and in_run:
        rows[RUN_START, i] = bucket
    keep = 1.0 if (in_alarm or in_run) else 0.0
    rows[RUN_OBS, i] = (rows[RUN_OBS, i] + x) * keep
    rows[RUN_EXP, i] = (rows[RUN_EXP, i] + expected) * keep
    rows[RUN_REPORTERS, i] = (rows[RUN_REPORTERS, i] + reporters) * keep
    rows[CUSUM, i] = cusum
    return cusum


@compiled
def run_z(rows: np.ndarray, i: int, e: float, size: float, limits: Limits) -> float:
    """How many standard deviations the counts summed since the run began lie above their expected sum
    E: variance E + r_learned * E * mu + r_young * E^2, the learned over-dispersion being independent per
    bucket and the young-profile one one error for the whole run."""
    expected_sum = maximum(rows[RUN_EXP, i], MIN_MEAN)
    mu = maximum(e, MIN_MEAN)
    r_young = young_dispersion(rows[SEEN, i], limits.young_profile_dispersion, limits.hod_prior_buckets)
    r_learned = maximum(1.0 / size - r_young, 0.0)
    variance = expected_sum + r_learned * expected_sum * mu + r_young * expected_sum * expected_sum
    return (rows[RUN_OBS, i] - 0.5 - expected_sum) / math.sqrt(variance)


@compiled
def run_significant(rows: np.ndarray, i: int, e: float, size: float, limits: Limits) -> bool:
    """The run's total is ``run_significance_z`` standard deviations above its expected sum (``run_z``)."""
    return run_z(rows, i, e, size, limits) >= limits.run_significance_z


@compiled
def end_run(rows: np.ndarray, i: int) -> None:
    """Forget service ``i``'s CUSUM and run (its alarm recovered)."""
    for row in (CUSUM, RUN_OBS, RUN_EXP, RUN_REPORTERS):
        rows[row, i] = 0.0
    rows[RUN_START, i] = np.nan
