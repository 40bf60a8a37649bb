"""The expected count per service and bucket, and how it learns.

expected = level * hod[hour of day] * dow[day of week] (multiplicative Holt-Winters without trend):
``level`` follows slow growth, ``hod`` and ``dow`` the daily and weekly rhythm (each profile divided
by its mean, kept as a running sum, so the scale lives in ``level`` alone). Each learns by a
moving average whose rate never falls below a running mean over the history seen so far (plus a
prior worth ``prior_weight_days``), so a young service converges fast and an old one forgets slowly.
Over-dispersion ``r`` (variance = mu + r mu^2) comes from moving averages of (x - mu)^2 - x and
mu^2 (``detector.dispersion``), learned from the second hour on. Outside an alarm the level and
profiles learn from the count winsorised at ``learn_clip_sd`` standard deviations of the count model
around expected (a Huber-type running mean, as in robust Holt-Winters: robust to a burst in the first
hours, which are learned from even when surprising because the service is still cold, and able to
follow a rise too small to be an incident). In a service's first day the level learns as the running
mean of its history, except that it follows a deep fall (the last ``excess_window_seconds`` below
``young_fall_ratio`` of their expectation) with half-life ``young_fall_halflife_seconds``: a count
is the normal level plus reports of problems, never less, so a high start is more likely the tail of
an earlier event than the service's normal. Nothing is learned from a bucket that ``learn_mask``
excludes (anomalies, alarms, stale input), except a rise that has lasted ``relearn_after_days``
without an alarm: the rule did not call it an incident, so it is the new normal (else a baseline
left too low would never be corrected).

The rates and prior weights per bucket are ``detector.limits.Limits`` fields; everything here but
``slots`` and ``stale`` runs compiled, service by service (``detector.jit``).
"""

from __future__ import annotations

import math

import numpy as np

from detector import bursts
from detector.inputs import BucketArrays
from detector.jit import compiled, maximum
from detector.limits import Limits
from detector.scoring import MIN_MEAN
from detector.state import (
    ALARM,
    ALARM_AGE,
    CUSUM,
    DISP_DEN,
    DISP_NUM,
    DOW,
    DOW_SUM,
    EXCESS,
    HOD,
    HOD_SUM,
    HOURS,
    LEVEL,
    POST_SHARE,
    RUN_START,
    SEEN,
    WEEKDAYS,
    DetectorState,
)

DAY_SECONDS = 86400
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; Monday is 0


def slots(bucket: int) -> tuple[int, int]:
    """Hour of day and day of week (Monday 0) of a bucket starting at epoch second ``bucket`` (UTC)."""
    return (bucket // 3600) % HOURS, (bucket // DAY_SECONDS + EPOCH_WEEKDAY) % WEEKDAYS


@compiled
def seasonal(rows: np.ndarray, i: int, hour: int, weekday: int) -> tuple[float, float, float]:
    """Service ``i``'s daily and weekly factors of this bucket, and its expected count (their product
    with the level)."""
    daily = rows[HOD + hour, i] * (24.0 / rows[HOD_SUM, i])
    weekly = rows[DOW + weekday, i] * (7.0 / rows[DOW_SUM, i])
    return daily, weekly, rows[LEVEL, i] * daily * weekly


def stale(state: DetectorState, arrays: BucketArrays, share: float) -> np.ndarray | None:
    """Services whose stopped report or post source carried at least ``share`` of their expected count."""
    if arrays.alive is None:
        return None
    report_stopped = ~arrays.alive[0] & (1.0 - state.post_share >= share)
    post_stopped = ~arrays.alive[1] & (state.post_share >= share)
    return report_stopped | post_stopped


@compiled
def learn_mask(rows: np.ndarray, bucket: float, score: np.ndarray, cold: np.ndarray, stale: np.ndarray,
               has_stale: bool, alarm_before: np.ndarray, limits: np.ndarray, learning: np.ndarray) -> None:
    """1.0 in ``learning`` for the services whose bucket the baseline learns from: calm ones (no alarm
    before or after, and either not surprising with the CUSUM low or too small to be an incident: below
    ``incident_excess``, learned robustly), cold ones, and alarms or rises without an alarm (CUSUM runs)
    old enough to be the new normal; never a stale one. Reads the state after the state machine moved."""
    lim = limits[0]
    below, half, relearn = lim.learn_below_score, lim.learn_below_cusum, lim.relearn_buckets
    small = lim.incident_excess
    for i in range(rows.shape[1]):
        up = rows[ALARM, i] == 0.0 and alarm_before[i] == 0.0
        ordinary = score[i] < below and rows[CUSUM, i] < half
        calm = up and (ordinary or rows[EXCESS, i] < small)
        lasting = rows[CUSUM, i] > 0.0 and bucket - rows[RUN_START, i] > lim.relearn_seconds
        learning[i] = 1.0 if (calm or lasting or rows[ALARM_AGE, i] > relearn or cold[i]) else 0.0
        if has_stale and stale[i]:
            learning[i] = 0.0


@compiled
def learn(rows: np.ndarray, hour: int, weekday: int, observed: np.ndarray, posts: np.ndarray,
          expected: np.ndarray, variance: np.ndarray, daily: np.ndarray, weekly: np.ndarray,
          learning: np.ndarray, limits: np.ndarray) -> None:
    """Update every service's baseline from this bucket, past its youth (constant rates); ``variance`` is
    each count's variance under the count model."""
    lim = limits[0]
    for i in range(rows.shape[1]):
        learn_service(rows, i, hour, weekday, observed[i], posts[i], expected[i], variance[i], daily[i],
                      weekly[i], learning[i], False, lim)


@compiled
def learn_young(rows: np.ndarray, hour: int, weekday: int, observed: np.ndarray, posts: np.ndarray,
                expected: np.ndarray, variance: np.ndarray, daily: np.ndarray, weekly: np.ndarray,
                learning: np.ndarray, limits: np.ndarray) -> None:
    """``learn`` while some service is younger than ``young_buckets`` (rates as running means)."""
    lim = limits[0]
    for i in range(rows.shape[1]):
        learn_service(rows, i, hour, weekday, observed[i], posts[i], expected[i], variance[i], daily[i],
                      weekly[i], learning[i], True, lim)


@compiled
def learn_service(rows: np.ndarray, i: int, hour: int, weekday: int, x: float, posts: float, mu: float,
                  var: float, daily: float, weekly: float, learning: float, young: bool,
                  limits: Limits) -> None:
    """value += rate * (target - value) for dispersion, post share, level and the two profiles of service
    ``i``; ``mu`` is the bucket's expected count, ``var`` its variance and
    ``daily``/``weekly`` its seasonal factors, all targets come from the baseline before this update, and
    ``learning`` (1.0 or 0.0) scales every rate."""
    residual = x - mu
    level_x = x
    if young:
        seen = rows[SEEN, i]
        since = seen - limits.dispersion_after_buckets
        rate_dispersion = maximum(limits.rate_dispersion, 1.0 / (maximum(since, 0.0) + 1.0)) * learning
        rate_dispersion = rate_dispersion * (1.0 if since >= 0.0 else 0.0)
        rate_level = maximum(limits.rate_level, 1.0 / (seen + 1.0 + limits.prior_buckets))
        windowed = bursts.windowed_ratio(rows[EXCESS, i], mu, limits)
        if windowed < limits.young_fall_ratio and seen < limits.young_fall_buckets:
            rate_level = maximum(rate_level, limits.rate_level_fall)
        rate_level = rate_level * learning
        rate_hod = maximum(limits.rate_hod, 1.0 / ((seen + 1.0) / 24.0 + limits.hod_prior_buckets)) * learning
        rate_hod = rate_hod * (1.0 if seen >= limits.hod_after_buckets else 0.0)
        rate_dow = maximum(limits.rate_dow, 1.0 / ((seen + 1.0) / 7.0 + limits.dow_prior_buckets)) * learning
        rate_dow = rate_dow * (1.0 if seen >= limits.dow_after_buckets else 0.0)
    else:
        rate_dispersion = learning * limits.rate_dispersion
        rate_level = learning * limits.rate_level
        rate_hod = learning * limits.rate_hod
        rate_dow = learning * limits.rate_dow
    bound = maximum(limits.learn_clip_sd * limits.learn_clip_sd * var, 1.0)
    if residual * residual > bound and rows[ALARM, i] == 0.0 and rows[SEEN, i] >= limits.hod_after_buckets:
        clip = math.sqrt(bound)
        level_x = mu + (clip if residual > 0.0 else -clip)
    share = posts / x if x > 0 else rows[POST_SHARE, i]
    safe_level = maximum(rows[LEVEL, i], MIN_MEAN)
    level_target = level_x / maximum(daily * weekly, MIN_MEAN)
    hod_target = level_x / (safe_level * weekly)
    dow_target = level_x / (safe_level * daily)
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
