"""The expected count per service and bucket, and how it learns.

expected = level * hod[hour of day] * dow[day of week] (multiplicative Holt-Winters without trend):
``level`` follows slow growth, ``hod`` and ``dow`` the daily and weekly rhythm (each profile divided
by its mean, kept as a running sum, so the scale lives in ``level`` alone). Each learns by a
moving average whose rate never falls below a running mean over the history seen so far (plus a
prior worth ``prior_weight_days``), so a young service converges fast and an old one forgets slowly.
Over-dispersion ``r`` (variance = mu + r mu^2) is the ratio of moving averages of (x - mu)^2 - x and
mu^2. Nothing is learned from a bucket that ``learn_mask`` excludes (anomalies, alarms, stale input).

The expected count itself is computed in ``detector.passes.before_tails``; the learning here runs
compiled, service by service (``detector.jit``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector.inputs import BucketArrays
from detector.jit import (
    ALARM,
    ALARM_AGE,
    CUSUM,
    DISP_DEN,
    DISP_NUM,
    DOW,
    DOW_AFTER_BUCKETS,
    DOW_PRIOR_BUCKETS,
    DOW_SUM,
    HALF_CUSUM_DEGRADED,
    HOD,
    HOD_AFTER_BUCKETS,
    HOD_PRIOR_BUCKETS,
    HOD_SUM,
    LEARN_BELOW_SCORE,
    LEVEL,
    POST_SHARE,
    PRIOR_BUCKETS,
    RATE_DISPERSION,
    RATE_DOW,
    RATE_HOD,
    RATE_LEVEL,
    RELEARN_BUCKETS,
    SEEN,
    compiled,
    inlined,
    maximum,
)
from detector.scoring import MIN_MEAN
from detector.settings import DetectorSettings
from detector.state import HOURS, WEEKDAYS, DetectorState

DAY_SECONDS = 86400
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; Monday is 0


@dataclass(frozen=True, slots=True)
class Rates:
    """Per-bucket learning rates and prior weights, derived once from the settings."""

    level: float
    hod: float
    dow: float
    dispersion: float
    prior_buckets: float
    hod_prior_buckets: float
    dow_prior_buckets: float
    relearn_buckets: float
    hod_after_buckets: float
    """The daily profile starts learning after an hour, once the level has found its scale ..."""
    dow_after_buckets: float
    """... and the weekly profile after a day."""

    @property
    def mature_buckets(self) -> float:
        """History after which every learning rate is its long-run constant."""
        level = 1.0 / self.level - self.prior_buckets
        hod = (1.0 / self.hod - self.hod_prior_buckets) * HOURS
        dow = (1.0 / self.dow - self.dow_prior_buckets) * WEEKDAYS
        return max(level, hod, dow, 1.0 / self.dispersion)

    @classmethod
    def from_settings(cls, s: DetectorSettings) -> Rates:
        per_hour = 3600.0 / s.bucket_seconds
        return cls(
            level=s.rate(s.level_halflife_days),
            hod=1.0 - np.exp(-np.log(2.0) / (s.daily_halflife_days * per_hour)),
            dow=1.0 - np.exp(-np.log(2.0) / (s.weekly_halflife_days * s.buckets_per_day / WEEKDAYS * 1.0)),
            dispersion=s.rate(s.dispersion_halflife_days),
            prior_buckets=s.prior_weight_days * s.buckets_per_day,
            hod_prior_buckets=per_hour,
            dow_prior_buckets=s.buckets_per_day / 2.0,
            relearn_buckets=s.relearn_after_days * s.buckets_per_day,
            hod_after_buckets=per_hour,
            dow_after_buckets=s.buckets_per_day,
        )


def slots(bucket: int) -> tuple[int, int]:
    """Hour of day and day of week (Monday 0) of a bucket starting at epoch second ``bucket`` (UTC)."""
    return (bucket // 3600) % HOURS, (bucket // DAY_SECONDS + EPOCH_WEEKDAY) % WEEKDAYS


def stale(state: DetectorState, arrays: BucketArrays, share: float) -> np.ndarray | None:
    """Services whose stopped report or post source carried at least ``share`` of their expected count."""
    if arrays.alive is None:
        return None
    report_stopped = ~arrays.alive[0] & (1.0 - state.post_share >= share)
    post_stopped = ~arrays.alive[1] & (state.post_share >= share)
    return report_stopped | post_stopped


@compiled
def learn_mask(rows: np.ndarray, score: np.ndarray, cold: np.ndarray, stale: np.ndarray, has_stale: bool,
               alarm_before: np.ndarray, limits: np.ndarray, learning: np.ndarray) -> None:
    """1.0 in ``learning`` for the services whose bucket the baseline learns from: calm ones (not surprising,
    no alarm before or after, CUSUM low), cold ones, and alarms old enough to be the new normal; never a
    stale one. Reads the state after the state machine moved."""
    below, half, relearn = limits[LEARN_BELOW_SCORE], limits[HALF_CUSUM_DEGRADED], limits[RELEARN_BUCKETS]
    for i in range(rows.shape[1]):
        calm = score[i] < below and rows[ALARM, i] == 0.0 and alarm_before[i] == 0.0 and rows[CUSUM, i] < half
        learning[i] = 1.0 if (calm or rows[ALARM_AGE, i] > relearn or cold[i]) else 0.0
        if has_stale and stale[i]:
            learning[i] = 0.0


@compiled
def learn(rows: np.ndarray, hour: int, weekday: int, observed: np.ndarray, posts: np.ndarray,
          expected: np.ndarray, daily: np.ndarray, weekly: np.ndarray, learning: np.ndarray,
          limits: np.ndarray) -> None:
    """Update every service's baseline from this bucket, past its youth (constant rates)."""
    for i in range(rows.shape[1]):
        learn_service(rows, i, hour, weekday, observed[i], posts[i], expected[i], daily[i], weekly[i],
                      learning[i], False, limits)


@compiled
def learn_young(rows: np.ndarray, hour: int, weekday: int, observed: np.ndarray, posts: np.ndarray,
                expected: np.ndarray, daily: np.ndarray, weekly: np.ndarray, learning: np.ndarray,
                limits: np.ndarray) -> None:
    """``learn`` while some service is younger than ``Rates.mature_buckets`` (rates as running means)."""
    for i in range(rows.shape[1]):
        learn_service(rows, i, hour, weekday, observed[i], posts[i], expected[i], daily[i], weekly[i],
                      learning[i], True, limits)


@inlined
def learn_service(rows: np.ndarray, i: int, hour: int, weekday: int, x: float, posts: float, mu: float,
                  daily: float, weekly: float, learning: float, young: bool, limits: np.ndarray) -> None:
    """value += rate * (target - value) for dispersion, post share, level and the two profiles of service
    ``i``; ``mu`` is the bucket's expected count and ``daily``/``weekly`` its seasonal factors, all
    targets come from the baseline before this update, and ``learning`` (1.0 or 0.0) scales every rate."""
    if young:
        seen = rows[SEEN, i]
        rate_dispersion = maximum(limits[RATE_DISPERSION], 1.0 / (seen + 1.0)) * learning
        rate_level = maximum(limits[RATE_LEVEL], 1.0 / (seen + limits[PRIOR_BUCKETS])) * learning
        rate_hod = maximum(limits[RATE_HOD], 1.0 / (seen / 24.0 + limits[HOD_PRIOR_BUCKETS])) * learning
        rate_hod = rate_hod * (1.0 if seen >= limits[HOD_AFTER_BUCKETS] else 0.0)
        rate_dow = maximum(limits[RATE_DOW], 1.0 / (seen / 7.0 + limits[DOW_PRIOR_BUCKETS])) * learning
        rate_dow = rate_dow * (1.0 if seen >= limits[DOW_AFTER_BUCKETS] else 0.0)
    else:
        rate_dispersion = learning * limits[RATE_DISPERSION]
        rate_level = learning * limits[RATE_LEVEL]
        rate_hod = learning * limits[RATE_HOD]
        rate_dow = learning * limits[RATE_DOW]
    residual = x - mu
    share = posts / x if x > 0 else rows[POST_SHARE, i]
    safe_level = maximum(rows[LEVEL, i], MIN_MEAN)
    level_target = x / maximum(daily * weekly, MIN_MEAN)
    hod_target = x / (safe_level * weekly)
    dow_target = x / (safe_level * daily)
    rows[DISP_NUM, i] += rate_dispersion * (residual * residual - x - rows[DISP_NUM, i])
    rows[DISP_DEN, i] += rate_dispersion * (mu * mu - rows[DISP_DEN, i])
    rows[POST_SHARE, i] += rate_level * (share - rows[POST_SHARE, i])
    rows[LEVEL, i] += rate_level * (level_target - rows[LEVEL, i])
    step = rate_hod * (hod_target - rows[HOD + hour, i])
    rows[HOD + hour, i] += step
    rows[HOD_SUM, i] += step
    step = rate_dow * (dow_target - rows[DOW + weekday, i])
    rows[DOW + weekday, i] += step
    rows[DOW_SUM, i] += step
