"""The expected count per service and bucket, and how it learns.

expected = level * hod[hour of day] * dow[day of week] (multiplicative Holt-Winters without trend):
``level`` follows slow growth, ``hod`` and ``dow`` the daily and weekly rhythm (each profile divided
by its mean, kept as a running sum, so the scale lives in ``level`` alone). Each learns by a
moving average whose rate never falls below a running mean over the history seen so far (plus a
prior worth ``prior_weight_days``), so a young service converges fast and an old one forgets slowly.
Over-dispersion ``r`` (variance = mu + r mu^2) is the ratio of moving averages of (x - mu)^2 - x and
mu^2. Nothing is learned from a bucket that ``learn_mask`` excludes (anomalies, alarms, stale input).

The functions write into the engine's workspace (``detector.workspace``): each line of arithmetic is
the same elementwise operation, in the same order, as the plain expression in its comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from detector.inputs import BucketArrays
from detector.settings import DetectorSettings
from detector.state import HOURS, WEEKDAYS, DetectorState

if TYPE_CHECKING:
    from detector.engine import Engine
    from detector.workspace import Constants, Scratch

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


def expected(state: DetectorState, hour: int, weekday: int, c: Constants, s: Scratch) -> np.ndarray:
    """level * daily * weekly into ``s.expected``, with the factors in ``s.daily`` and ``s.weekly``:
    daily = hod[hour] * (HOURS / hod_sum), weekly = dow[weekday] * (WEEKDAYS / dow_sum)."""
    np.divide(c.hours, state.hod_sum, out=s.daily)
    np.multiply(state.hod[hour], s.daily, out=s.daily)
    np.divide(c.weekdays, state.dow_sum, out=s.weekly)
    np.multiply(state.dow[weekday], s.weekly, out=s.weekly)
    np.multiply(state.level, s.daily, out=s.expected)
    np.multiply(s.expected, s.weekly, out=s.expected)
    return s.expected


def variance(state: DetectorState, mu_safe: np.ndarray, c: Constants, s: Scratch) -> np.ndarray:
    """mu + r mu^2 into ``s.variance``, r = clip(disp_num / max(disp_den, 1e-12), 0, max_dispersion)."""
    r, var = s.ratio, s.variance
    np.maximum(state.disp_den, c.tiny_denominator, out=r)
    np.divide(state.disp_num, r, out=r)
    np.maximum(r, c.zero, out=r)
    np.minimum(r, c.max_dispersion, out=r)
    np.multiply(r, mu_safe, out=var)
    np.multiply(var, mu_safe, out=var)
    np.add(mu_safe, var, out=var)
    return var


def stale(state: DetectorState, arrays: BucketArrays, share: float) -> np.ndarray | None:
    """Services whose stopped report or post source carried at least ``share`` of their expected count."""
    if arrays.alive is None:
        return None
    report_stopped = ~arrays.alive[0] & (1.0 - state.post_share >= share)
    post_stopped = ~arrays.alive[1] & (state.post_share >= share)
    return report_stopped | post_stopped


def learn_mask(engine: Engine, state: DetectorState, score: np.ndarray, cold: np.ndarray | None,
               alarm_before: np.ndarray, s: Scratch) -> np.ndarray:
    """Which services learn from this bucket (1.0, else 0.0, in ``s.learn``): calm ones, young ones,
    and alarms old enough to be normal."""
    settings, calm, other = engine.limits, s.calm, s.other
    np.less(score, settings.learn_below_score, out=calm)
    np.equal(state.alarm, 0.0, out=other)
    calm &= other
    np.equal(alarm_before, 0.0, out=other)
    calm &= other
    np.less(state.cusum, 0.5 * settings.cusum_degraded, out=other)
    calm &= other
    np.greater(state.alarm_age, engine.rates.relearn_buckets, out=other)
    calm |= other
    if cold is not None:
        calm |= cold
    np.copyto(s.learn, calm)
    return s.learn


def learn(state: DetectorState, rates: Rates, c: Constants, s: Scratch, hour: int, weekday: int,
          observed: np.ndarray, posts: np.ndarray, mu: np.ndarray, young: bool) -> None:
    """Update the baseline in place from this bucket, for the services with 1.0 in ``s.learn``.

    Each quantity of ``LEARNED`` moves as value += rate * (target - value), all six as one (6, n)
    operation. ``mu`` is this bucket's expected count and ``s.daily``/``s.weekly`` its seasonal factors
    (the baseline has not moved since ``expected`` computed them). ``young``: some service has less
    history than ``Rates.mature_buckets`` (its rates are still running means); otherwise every rate
    is its constant and the per-service maxima are skipped.
    """
    level, hod, dow = state.level, state.hod[hour], state.dow[weekday]
    values, targets, step = s.values, s.targets, s.rates
    if young:
        _young_rates(state.seen, rates, c, s)
    else:
        np.multiply(s.learn, c.learning_rates, out=s.rates)
    # disp_num's target: (observed - mu)^2 - observed; disp_den's: mu^2
    term = targets[0]
    np.subtract(observed, mu, out=term)
    np.multiply(term, term, out=term)
    np.subtract(term, observed, out=term)
    np.multiply(mu, mu, out=targets[1])
    # post_share's target: the bucket's share of posts where it had any signal, else unchanged
    np.greater(observed, c.zero, out=s.flag)
    np.logical_not(s.flag, out=s.other)
    np.copyto(s.term, observed)
    np.putmask(s.term, s.other, c.one)
    np.divide(posts, s.term, out=targets[2])
    np.putmask(targets[2], s.other, state.post_share)
    # level, hod[hour], dow[weekday]: observed / (max(daily * weekly, MIN_MEAN),
    # max(level, MIN_MEAN) * weekly, max(level, MIN_MEAN) * daily)
    divisors = s.divisors
    np.multiply(s.daily, s.weekly, out=divisors[0])
    np.maximum(divisors[0], c.min_mean, out=divisors[0])
    np.maximum(level, c.min_mean, out=s.term)
    np.multiply(s.term, s.weekly, out=divisors[1])
    np.multiply(s.term, s.daily, out=divisors[2])
    np.divide(observed, divisors, out=targets[3:])
    for row, value in enumerate((state.disp_num, state.disp_den, state.post_share, level, hod, dow)):
        np.copyto(values[row], value)
    np.subtract(targets, values, out=targets)
    np.multiply(step, targets, out=step)
    values += step
    for row, value in enumerate((state.disp_num, state.disp_den, state.post_share, level, hod, dow)):
        np.copyto(value, values[row])
    np.add(state.hod_sum, step[4], out=state.hod_sum)
    np.add(state.dow_sum, step[5], out=state.dow_sum)


def _young_rates(seen: np.ndarray, rates: Rates, c: Constants, s: Scratch) -> None:
    """Each rate is max(its constant, 1 / (history in its own updates + prior)), times the learn mask,
    in the row order of ``LEARNED``; the profiles learn only after ``hod_after_buckets`` and
    ``dow_after_buckets``."""
    out, term = s.rates, s.term
    np.add(seen, c.one, out=term)
    np.divide(c.one, term, out=term)
    np.maximum(c.dispersion_rate, term, out=out[0])
    np.add(seen, rates.prior_buckets, out=term)
    np.divide(c.one, term, out=term)
    np.maximum(c.level_rate, term, out=out[2])
    np.divide(seen, c.hours, out=term)
    np.add(term, rates.hod_prior_buckets, out=term)
    np.divide(c.one, term, out=term)
    np.maximum(c.hod_rate, term, out=out[4])
    np.divide(seen, c.weekdays, out=term)
    np.add(term, rates.dow_prior_buckets, out=term)
    np.divide(c.one, term, out=term)
    np.maximum(c.dow_rate, term, out=out[5])
    out[1], out[3] = out[0], out[2]
    np.multiply(s.learn, out, out=out)
    np.greater_equal(seen, rates.hod_after_buckets, out=s.flag)
    np.multiply(out[4], s.flag, out=out[4])
    np.greater_equal(seen, rates.dow_after_buckets, out=s.flag)
    np.multiply(out[5], s.flag, out=out[5])
