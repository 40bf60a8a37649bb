"""The detector's tunable settings, with the defaults used live and in replays.

Rates and memories are given in time units (seconds, days), not buckets, so the same settings work
for any bucket width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from downwatch.errors import InputError


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """Every threshold of the detector. Defaults are tuned on synthetic histories (benchmarks/)."""

    bucket_seconds: int = 60
    """Width of one count bucket; must divide a day."""

    level_halflife_days: float = 3.0
    """How fast the de-seasonalised level follows slow growth (half-life of its moving average)."""
    young_fall_halflife_seconds: float = 3600.0
    """In a service's first day the level follows a deep fall with this
    half-life when the last ``excess_window_seconds`` held less than ``young_fall_ratio`` of their
    expected count (else it learns as the running mean of the history): counts are the normal level
    plus problem reports, so a high start is more likely the tail of an earlier event than the normal
    ..."""
    young_fall_ratio: float = 0.5
    """... (the windowed ratio below which the level falls fast)."""
    daily_halflife_days: float = 7.0
    """Memory of the hour-of-day profile (each hour learns from that hour on recent days)."""
    weekly_halflife_days: float = 28.0
    """Memory of the day-of-week profile."""
    dispersion_halflife_days: float = 7.0
    """Memory of the over-dispersion estimate (negative binomial: var = mu + r * mu**2)."""
    max_dispersion: float = 2.0
    """Upper bound on r; it keeps one burst from making a service unscorable."""
    dispersion_prior: float = 0.25
    """The over-dispersion r assumed before a service's own spread is known (real crowd counts are
    over-dispersed: bursts of news, weekday moods) ..."""
    dispersion_prior_days: float = 1.0
    """... worth this many days of the service's own buckets in the shrunk estimate ..."""
    dispersion_after_seconds: float = 3600.0
    """... which learns only after this much history (before it, residuals are against a level that is
    still finding its scale)."""
    young_profile_dispersion: float = 0.25
    """Extra over-dispersion while the hour-of-day profile is young: r grows by this times the share of
    the flat prior still in the hour's factor (a half after one day, a third after two)."""

    prior_per_day: float = 20.0
    """Reports + posts per day assumed for a new service until its own history takes over."""
    prior_weight_days: float = 10.0 / 1440.0
    """How many days of history the prior is worth (its weight in the running average: ten minutes)."""
    post_share: float = 0.3
    """Share of the prior that is expected from social posts rather than user reports."""
    learn_clip_sd: float = 3.0
    """A bucket moves the baseline by at most this many standard deviations of its count above or below
    expected (and never less than one report: at a quiet service's expected 0.02 a minute every report
    is beyond 3 sd, and clipping each would halve its learned rate), outside an alarm and from the
    second hour on (a Huber-type robust running mean, as in robust Holt-Winters): a burst in a service's
    first hours, which are learned from even when surprising, does not become its normal, and a rise
    too small to be an incident is learned slowly instead of never."""
    warmup_days: float = 1.0
    """History needed before a service gets a verdict other than `unknown`."""
    full_confidence_days: float = 7.0
    """History after which confidence is no longer discounted for a young baseline."""

    learn_below_score: float = 0.999
    """A bucket is learned from only when its anomaly score is below this (never from outages)."""
    relearn_after_days: float = 1.0
    """An alarm lasting longer than this, or a rise (CUSUM run) lasting longer than this without an
    alarm, is taken as the new normal and learned from again."""

    cusum_ratio: float = 3.0
    """The rise the CUSUM is tuned to detect: expected * ratio ..."""
    cusum_min_shift_per_day: float = 120.0
    """... or at least this many extra reports per day (whichever is larger)."""
    cusum_degraded: float = 11.0
    """CUSUM level (log-likelihood ratio) that raises `degraded`."""
    cusum_down: float = 20.0
    """CUSUM level that, with enough volume and reporters, raises `down`."""
    run_significance: float = 1e-4
    """A CUSUM alone (no bucket at `score_degraded`) raises an alarm only when the counts summed since the
    rise began are this unlikely (normal upper tail) under their expected sum, with a variance in which the
    young-profile over-dispersion is shared by the whole run (an uncertain evening level is one error,
    not one per bucket)."""
    score_degraded: float = 1.0 - 1e-6
    """Anomaly score of a single bucket that raises `degraded` on its own."""
    score_down: float = 1.0 - 1e-9
    """Anomaly score of a single bucket that, with enough volume and reporters, raises `down`."""
    min_ratio_degraded: float = 1.5
    """Observed must be at least this multiple of expected for any alarm."""
    min_ratio_down: float = 3.0
    """Observed must be at least this multiple of expected for `down`."""
    incident_excess: float = 30.0
    """The absolute size of a rise that any alarm needs: at least this many reports + posts above
    expected per ``excess_window_seconds`` (an exponentially weighted sum that equals the plain sum over
    the window in a steady state, at any bucket width) ..."""
    excess_window_seconds: float = 900.0
    """... the window of that sum (15 minutes)."""
    burst_normal_per_month: float = 2.0
    """Rises (incident-sized in absolute terms) that reached a size this often a month are the service's
    normal burstiness (news spikes of public volume): an alarm then needs a larger rise ..."""
    burst_memory_days: float = 14.0
    """... counted over this half-life."""
    min_reporters_degraded: float = 3.0
    """Distinct reporters (summed per bucket) since the rise began needed for `degraded`."""
    min_reporters_down: float = 8.0
    """Distinct reporters (summed per bucket) since the rise began needed for `down`."""
    min_reporter_share: float = 0.3
    """Distinct reporters per signal since the rise began: below this it is a flood from a few clients."""
    down_confirm_buckets: int = 2
    """Consecutive buckets of down-level evidence before `degraded` becomes `down`."""
    down_release_buckets: int = 3
    """Consecutive buckets without down-level evidence before `down` falls back to `degraded`."""
    recover_buckets: int = 10
    """Consecutive calm buckets before an alarm returns to `up` (hysteresis: no flapping)."""
    recover_ratio: float = 1.5
    """A bucket is calm when the short-term average is below expected * this ratio ..."""
    recover_margin_sd: float = 2.0
    """... or above expected by less than this many standard deviations of that average (Poisson): at
    low counts one report does not break the calm ..."""
    recover_score: float = 0.99
    """... and its anomaly score is below this."""
    fast_halflife_buckets: float = 2.0
    """Half-life of the short-term average used to decide recovery."""

    probe_failing_share: float = 0.5
    """Share of failed probe checks in a bucket that counts as the probes failing."""
    probe_confirm_buckets: int = 2
    """Consecutive failing probe buckets that raise `degraded` on their own."""
    official_degraded_level: int = 2
    """Official indicator (1 minor, 2 major, 3 critical) that raises `degraded` on its own."""
    stale_share: float = 0.25
    """A stopped source makes the verdict `unknown` when it carries at least this share of expected."""

    @property
    def buckets_per_day(self) -> float:
        return 86400.0 / self.bucket_seconds

    def rate(self, halflife_days: float) -> float:
        """The per-bucket learning rate of a moving average with this half-life."""
        return 1.0 - math.exp(-math.log(2.0) / (halflife_days * self.buckets_per_day))

    def per_bucket(self, per_day: float) -> float:
        return per_day / self.buckets_per_day


def detector_settings(**overrides: Any) -> DetectorSettings:
    """Settings with overrides by name; an unknown name or a bad value is an InputError."""
    known = {f.name for f in fields(DetectorSettings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InputError(f"unknown detector setting(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(known))}")
    try:
        settings = DetectorSettings(**overrides)
    except TypeError as exc:
        raise InputError(f"bad detector setting: {exc}") from exc
    if settings.bucket_seconds < 1 or 86400 % settings.bucket_seconds:
        raise InputError("bucket_seconds must divide a day (for example 60 or 300)")
    for name in ("level_halflife_days", "daily_halflife_days", "weekly_halflife_days",
                 "dispersion_halflife_days", "prior_weight_days", "fast_halflife_buckets",
                 "young_fall_halflife_seconds"):
        if not getattr(settings, name) > 0:
            raise InputError(f"{name} must be positive")
    if not 0 < settings.score_degraded <= settings.score_down < 1:
        raise InputError("need 0 < score_degraded <= score_down < 1")
    if not 0 < settings.cusum_degraded <= settings.cusum_down:
        raise InputError("need 0 < cusum_degraded <= cusum_down")
    if not 0 < settings.run_significance < 1:
        raise InputError("run_significance must be between 0 and 1")
    if not settings.burst_memory_days > 0 or not settings.burst_normal_per_month > 0:
        raise InputError("burst_memory_days and burst_normal_per_month must be positive")
    if not settings.excess_window_seconds > 0 or settings.incident_excess < 0:
        raise InputError("need excess_window_seconds > 0 and incident_excess >= 0")
    if settings.dispersion_prior < 0 or settings.dispersion_prior_days < 0 or \
            settings.dispersion_after_seconds < 0:
        raise InputError("dispersion_prior, dispersion_prior_days and dispersion_after_seconds must be >= 0")
    if not 0 < settings.young_fall_ratio <= 1:
        raise InputError("young_fall_ratio must be in (0, 1]")
    if settings.cusum_ratio <= 1:
        raise InputError("cusum_ratio must be above 1")
    return settings
