"""Every number the detector reads while it steps, derived from ``DetectorSettings`` in one place.

The settings speak in time units (half-lives in days, shifts per day, tail probabilities); ``Limits``
holds the same numbers per bucket, as the loops use them, each under one name. The compiled loops
(numba) take them as ``Limits.packed()``, a one-element numpy record array with the same field names,
and read ``limits[0].name``: a record crosses into compiled code as cheaply as a plain array (a
``NamedTuple`` argument costs microseconds per call to type-check).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from detector.scoring import log_surprise
from detector.settings import DetectorSettings
from detector.state import HOURS, WEEKDAYS


class Limits(NamedTuple):
    """The detector's numbers per bucket. Fields named like a ``DetectorSettings`` field are that setting."""

    # The count model (``detector.dispersion``).
    max_dispersion: float
    young_profile_dispersion: float
    dispersion_prior: float
    dispersion_prior_buckets: float
    """``dispersion_prior_days`` in buckets: the prior r's weight in the shrunk estimate."""
    dispersion_after_buckets: float
    """``dispersion_after_seconds`` in buckets: the dispersion averages learn only after this much history."""
    dispersion_memory_buckets: float
    """How many buckets the dispersion averages hold at most (1 / their rate): the data's weight against
    the prior's."""

    # The CUSUM (``detector.cusum``).
    cusum_ratio: float
    cusum_min_shift: float
    """``cusum_min_shift_per_day`` per bucket."""
    cusum_degraded: float
    cusum_down: float
    run_significance_z: float
    """The standard normal quantile of ``1 - run_significance``."""

    # The state machine (``detector.machine``).
    score_degraded: float
    log_p_degraded: float
    """log(1 - ``score_degraded``): the log tail probability of a bucket surprising enough on its own."""
    score_down: float
    min_reporter_share: float
    min_reporters_degraded: float
    min_ratio_degraded: float
    incident_excess: float
    excess_decay: float
    """Per-bucket decay of the windowed excess, max(0, 1 - bucket / window) ..."""
    excess_gain: float
    """... and the weight of a bucket's excess in it, min(1, window / bucket): a steady excess of c per
    window reads c, and at a bucket as wide as the window it is that bucket's excess."""
    excess_window_buckets: float
    """The window in buckets (expected per window = expected per bucket times this)."""
    burst_decay_per_second: float
    """Decay rate of the burst counts (half-life ``burst_memory_days``) ..."""
    burst_normal_count: float
    """... and the decayed count at which a size is normal: ``burst_normal_per_month`` times the memory."""
    min_reporters_down: float
    min_ratio_down: float
    down_confirm_buckets: float
    down_release_buckets: float
    recover_buckets: float
    recover_ratio: float
    recover_margin_sd: float
    recover_score: float
    fast_rate: float
    """Rate of the short-term averages that decide recovery: half-life ``fast_halflife_buckets``."""
    probe_failing_share: float
    probe_confirm_buckets: float
    official_degraded_level: float
    warmup_buckets: float
    """``warmup_days`` in buckets: a service younger than this is cold (``unknown``, no alarm)."""

    # Learning (``detector.baseline``).
    learn_below_score: float
    learn_below_cusum: float
    """A bucket is learned from only while the CUSUM is below half of ``cusum_degraded``."""
    relearn_buckets: float
    """``relearn_after_days`` in buckets (an alarm's age) ..."""
    relearn_seconds: float
    """... and in seconds (a CUSUM run's age: a rise the rule did not call an incident)."""
    rate_level: float
    """Per-bucket rate of the level's moving average (half-life ``level_halflife_days``) ..."""
    rate_hod: float
    """... of an hour's factor, learned only in that hour (``daily_halflife_days``) ..."""
    rate_dow: float
    """... of a weekday's factor, learned only on that day (``weekly_halflife_days``) ..."""
    rate_dispersion: float
    """... and of the dispersion's two averages (``dispersion_halflife_days``)."""
    learn_clip_sd: float
    prior_buckets: float
    """The prior level's weight in buckets (``prior_weight_days``)."""
    hod_prior_buckets: float
    """The flat daily profile's weight per hour, in days of that hour: one hour of buckets."""
    dow_prior_buckets: float
    """The flat weekly profile's weight per weekday: half a day of buckets."""
    rate_level_fall: float
    """Per-bucket rate at which a young level follows a deep fall (``young_fall_halflife_seconds``) ..."""
    young_fall_ratio: float
    """... when the windowed ratio is below this ..."""
    young_fall_buckets: float
    """... in its first day."""
    hod_after_buckets: float
    """The daily profile starts learning after an hour, once the level has found its scale (and
    learning is winsorised from then on) ..."""
    dow_after_buckets: float
    """... and the weekly profile after a day."""
    young_buckets: float
    """History after which every learning rate is its long-run constant (and the warm-up is over)."""

    # Confidence (``detector.confidence``; numpy, not compiled).
    down_surprise: float
    """-log10 of the tail probability ``1 - score_down``: the surprise that counts as full strength."""
    full_confidence_buckets: float
    """``full_confidence_days`` in buckets."""

    def packed(self) -> np.ndarray:
        """The same numbers as a one-element record array (fields named like these), for compiled code."""
        record = np.empty(1, dtype=np.dtype([(name, np.float64) for name in self._fields]))
        for name, value in zip(self._fields, self, strict=True):
            record[name] = value
        return record


def limits_of(s: DetectorSettings) -> Limits:
    """The per-bucket numbers of these settings."""
    per_hour = 3600.0 / s.bucket_seconds
    rate_level = s.rate(s.level_halflife_days)
    rate_hod = 1.0 - np.exp(-np.log(2.0) / (s.daily_halflife_days * per_hour))
    rate_dow = 1.0 - np.exp(-np.log(2.0) / (s.weekly_halflife_days * s.buckets_per_day / WEEKDAYS * 1.0))
    rate_dispersion = s.rate(s.dispersion_halflife_days)
    prior_buckets = s.prior_weight_days * s.buckets_per_day
    hod_prior_buckets = per_hour
    dow_prior_buckets = s.buckets_per_day / 2.0
    mature_buckets = max(1.0 / rate_level - prior_buckets, (1.0 / rate_hod - hod_prior_buckets) * HOURS,
                         (1.0 / rate_dow - dow_prior_buckets) * WEEKDAYS,
                         1.0 / rate_dispersion + s.dispersion_after_seconds / s.bucket_seconds)
    warmup_buckets = s.warmup_days * s.buckets_per_day
    numbers = dict(
        max_dispersion=s.max_dispersion, young_profile_dispersion=s.young_profile_dispersion,
        dispersion_prior=s.dispersion_prior,
        dispersion_prior_buckets=s.dispersion_prior_days * s.buckets_per_day,
        dispersion_after_buckets=s.dispersion_after_seconds / s.bucket_seconds,
        dispersion_memory_buckets=1.0 / rate_dispersion,
        cusum_ratio=s.cusum_ratio, cusum_min_shift=s.per_bucket(s.cusum_min_shift_per_day),
        cusum_degraded=s.cusum_degraded, cusum_down=s.cusum_down,
        run_significance_z=NormalDist().inv_cdf(1.0 - s.run_significance),
        score_degraded=s.score_degraded,
        log_p_degraded=math.log(1.0 - s.score_degraded), score_down=s.score_down,
        min_reporter_share=s.min_reporter_share,
        min_reporters_degraded=s.min_reporters_degraded, min_ratio_degraded=s.min_ratio_degraded,
        incident_excess=s.incident_excess,
        excess_decay=max(0.0, 1.0 - s.bucket_seconds / s.excess_window_seconds),
        excess_gain=min(1.0, s.excess_window_seconds / s.bucket_seconds),
        excess_window_buckets=s.excess_window_seconds / s.bucket_seconds,
        burst_decay_per_second=np.log(2.0) / (s.burst_memory_days * 86400.0),
        burst_normal_count=s.burst_normal_per_month / 30.0 * s.burst_memory_days / np.log(2.0),
        min_reporters_down=s.min_reporters_down, min_ratio_down=s.min_ratio_down,
        down_confirm_buckets=s.down_confirm_buckets, down_release_buckets=s.down_release_buckets,
        recover_buckets=s.recover_buckets, recover_ratio=s.recover_ratio,
        recover_margin_sd=s.recover_margin_sd, recover_score=s.recover_score,
        fast_rate=1.0 - 0.5 ** (1.0 / s.fast_halflife_buckets), probe_failing_share=s.probe_failing_share,
        probe_confirm_buckets=s.probe_confirm_buckets, official_degraded_level=s.official_degraded_level,
        warmup_buckets=warmup_buckets,
        learn_below_score=s.learn_below_score, learn_below_cusum=0.5 * s.cusum_degraded,
        relearn_buckets=s.relearn_after_days * s.buckets_per_day,
        relearn_seconds=s.relearn_after_days * 86400.0,
        learn_clip_sd=s.learn_clip_sd,
        rate_level=rate_level, rate_hod=rate_hod, rate_dow=rate_dow, rate_dispersion=rate_dispersion,
        prior_buckets=prior_buckets, hod_prior_buckets=hod_prior_buckets, dow_prior_buckets=dow_prior_buckets,
        young_fall_buckets=s.buckets_per_day, hod_after_buckets=per_hour,
        rate_level_fall=1.0 - 0.5 ** (s.bucket_seconds / s.young_fall_halflife_seconds),
        young_fall_ratio=s.young_fall_ratio,
        dow_after_buckets=s.buckets_per_day,
        young_buckets=max(warmup_buckets, mature_buckets),
        down_surprise=log_surprise(np.array([1.0 - s.score_down]))[0],
        full_confidence_buckets=s.full_confidence_days * s.buckets_per_day,
    )
    return Limits(**{name: float(value) for name, value in numbers.items()})

