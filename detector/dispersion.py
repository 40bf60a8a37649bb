"""The count model's spread: negative binomial with variance mu + r * mu^2, and the r a bucket is judged with.

r is the service's learned over-dispersion (``baseline`` keeps moving averages of (x - mu)^2 - x and
of mu^2; r is their ratio, clipped to [0, max_dispersion]) plus a young-profile term: while the
hour-of-day factor is still mostly its flat prior, the expected count of an hour is uncertain, so r
grows by ``young_profile_dispersion`` times the prior's share of that factor (a half after one day, a
third after two). The engine's score, its CUSUM, the run-significance gate and the verdict's
per-source scores all use this r.
"""

from __future__ import annotations

from detector.jit import inlined, maximum, minimum


@inlined
def young_dispersion(seen: float, young_profile_dispersion: float, hod_prior_buckets: float) -> float:
    """The young-profile term of r after ``seen`` buckets of history (``Limits`` fields as named)."""
    return young_profile_dispersion * hod_prior_buckets / (seen / 24.0 + hod_prior_buckets)


@inlined
def over_dispersion(disp_num: float, disp_den: float, seen: float, max_dispersion: float,
                    young_profile_dispersion: float, hod_prior_buckets: float) -> float:
    """r of a service whose dispersion averages are ``disp_num``/``disp_den`` after ``seen`` buckets.

    The numbers are passed one by one (not as the ``Limits`` record) so that a loop reads them once."""
    learned = minimum(maximum(disp_num / maximum(disp_den, 1e-12), 0.0), max_dispersion)
    return learned + young_dispersion(seen, young_profile_dispersion, hod_prior_buckets)


@inlined
def variance(mu: float, r: float) -> float:
    """The negative-binomial variance of a count with mean ``mu`` and over-dispersion ``r``."""
    return mu + r * mu * mu
