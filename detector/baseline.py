"""The expected count per service and bucket, and how it learns.

expected = level * hod[hour of day] * dow[day of week] (multiplicative Holt-Winters without trend):
``level`` follows slow growth, ``hod`` and ``dow`` the daily and weekly rhythm (each profile divided
by its mean, kept as a running sum, so the scale lives in ``level`` alone). Each learns by a
moving average whose rate never falls below a running mean over the history seen so far (plus a
prior worth ``prior_weight_days``), so a young service converges fast and an old one forgets slowly.
Over-dispersion ``r`` (variance = mu + r mu^2) is the ratio of moving averages of (x - mu)^2 - x and
mu^2. Nothing is learned from a bucket that ``learn_mask`` excludes (anomalies, alarms, stale input).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from detector.inputs import BucketArrays
from detector.scoring import MIN_MEAN
from detector.settings import DetectorSettings
from detector.state import HOURS, WEEKDAYS, DetectorState

if TYPE_CHECKING:
    from detector.engine import Engine

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


def seasonal(state: DetectorState, hour: int, weekday: int) -> tuple[np.ndarray, np.ndarray]:
    """The hour-of-day and day-of-week factors of this bucket, each profile normalised to mean 1."""
    return state.hod[hour] * (HOURS / state.hod_sum), state.dow[weekday] * (WEEKDAYS / state.dow_sum)


def expected(state: DetectorState, hour: int, weekday: int) -> np.ndarray:
    daily, weekly = seasonal(state, hour, weekday)
    return state.level * daily * weekly


def variance(state: DetectorState, mu: np.ndarray, max_dispersion: float) -> np.ndarray:
    r = np.clip(state.disp_num / np.maximum(state.disp_den, 1e-12), 0.0, max_dispersion)
    mu = np.maximum(mu, MIN_MEAN)
    return mu + r * mu * mu


def stale(state: DetectorState, arrays: BucketArrays, mu: np.ndarray, share: float) -> np.ndarray | None:
    """Services whose stopped report or post source carried at least ``share`` of their expected count."""
    if arrays.alive is None:
        return None
    report_stopped = ~arrays.alive[0] & (1.0 - state.post_share >= share)
    post_stopped = ~arrays.alive[1] & (state.post_share >= share)
    return report_stopped | post_stopped


def learn_mask(engine: Engine, state: DetectorState, score: np.ndarray, cold: np.ndarray | None,
               alarm_before: np.ndarray) -> np.ndarray:
    """Which services learn from this bucket: calm ones, young ones, and alarms old enough to be normal."""
    s = engine.settings
    calm = (score < s.learn_below_score) & (state.alarm == 0) & (alarm_before == 0)
    calm &= state.cusum < 0.5 * s.cusum_degraded
    calm |= state.alarm_age > engine.rates.relearn_buckets
    return calm if cold is None else calm | cold


def learn(state: DetectorState, rates: Rates, hour: int, weekday: int, observed: np.ndarray,
          posts: np.ndarray, mu: np.ndarray, mask: np.ndarray, young: bool) -> None:
    """Update the baseline in place from this bucket, for the services in ``mask``.

    ``young``: some service has less history than ``Rates.mature_buckets`` (its rates are still
    running means); otherwise every rate is its constant and the per-service maxima are skipped.
    """
    seen = state.seen
    level, hod, dow = state.level, state.hod[hour], state.dow[weekday]
    daily, weekly = seasonal(state, hour, weekday)
    if young:
        level_rate = mask * np.maximum(rates.level, 1.0 / (seen + rates.prior_buckets))
        hod_rate = mask * np.maximum(rates.hod, 1.0 / (seen / HOURS + rates.hod_prior_buckets))
        dow_rate = mask * np.maximum(rates.dow, 1.0 / (seen / WEEKDAYS + rates.dow_prior_buckets))
        hod_rate *= seen >= rates.hod_after_buckets
        dow_rate *= seen >= rates.dow_after_buckets
        disp_rate = mask * np.maximum(rates.dispersion, 1.0 / (seen + 1.0))
    else:
        level_rate, hod_rate = mask * rates.level, mask * rates.hod
        dow_rate, disp_rate = mask * rates.dow, mask * rates.dispersion
    safe_level = np.maximum(level, MIN_MEAN)
    hod_target = observed / (safe_level * weekly)
    dow_target = observed / (safe_level * daily)
    level_target = observed / np.maximum(daily * weekly, MIN_MEAN)
    residual = observed - mu
    state.disp_num += disp_rate * (residual * residual - observed - state.disp_num)
    state.disp_den += disp_rate * (mu * mu - state.disp_den)
    some = observed > 0
    share_target = np.where(some, posts / np.where(some, observed, 1.0), state.post_share)
    state.post_share += level_rate * (share_target - state.post_share)
    level += level_rate * (level_target - level)
    hod_step = hod_rate * (hod_target - hod)
    hod += hod_step
    state.hod_sum += hod_step
    dow_step = dow_rate * (dow_target - dow)
    dow += dow_step
    state.dow_sum += dow_step
