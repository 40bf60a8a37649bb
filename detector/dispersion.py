"""The count model's spread: negative binomial with variance mu + r * mu^2, and the r a bucket is judged with.

r has two parts.

* Learned, shrunk towards a prior: ``baseline`` keeps moving averages A of (x - mu)^2 - x and B of
  mu^2 (a moment estimator: Var X = mu + r mu^2), which start learning after ``dispersion_after``
  buckets; r_hat = A / B clipped to [0, max_dispersion] is worth n = the buckets they hold (at most
  their memory, 1 / rate), the prior ``dispersion_prior`` is worth ``dispersion_prior_buckets``, and
  r_learned = (n r_hat + n0 r0) / (n + n0). A young service is thus judged as over-dispersed as real
  crowd counts usually are, not as Poisson, until its own spread is known.
* Young-profile: while the hour-of-day factor is still mostly its flat prior, the expected count of an
  hour is uncertain, so r grows by ``young_profile_dispersion`` times the prior's share of that factor
  (a half after one day, a third after two).

The engine's score, its CUSUM, the run-significance gate and the verdict's per-source scores all use
this r.
"""

from __future__ import annotations

from detector.jit import compiled, maximum, minimum


@compiled
def young_dispersion(seen: float, young_profile_dispersion: float, hod_prior_buckets: float) -> float:
    """The young-profile term of r after ``seen`` buckets of history (``Limits`` fields as named)."""
    return young_profile_dispersion * hod_prior_buckets / (seen / 24.0 + hod_prior_buckets)


@compiled
def learned_dispersion(disp_num: float, disp_den: float, seen: float, max_dispersion: float,
                       prior: float, prior_buckets: float, after_buckets: float,
                       memory_buckets: float) -> float:
    """The learned r: the moment estimate shrunk towards ``prior`` by the weights of both."""
    estimate = minimum(maximum(disp_num / maximum(disp_den, 1e-12), 0.0), max_dispersion)
    held = minimum(maximum(seen - after_buckets, 0.0), memory_buckets)
    return (held * estimate + prior_buckets * prior) / maximum(held + prior_buckets, 1e-12)


@compiled
def variance(mu: float, r: float) -> float:
    """The negative-binomial variance of a count with mean ``mu`` and over-dispersion ``r``."""
    return mu + r * mu * mu
