"""The verdict state machine: evidence in, up/degraded/down out, with hysteresis so one bucket never flaps.

Evidence for ``degraded``: a surprising bucket (score >= score_degraded) or a sustained rise (CUSUM >=
cusum_degraded), backed since the rise began by enough volume, enough distinct reporters, enough
reporters per signal (a flood from a few clients is not an outage) and a high enough observed/expected
ratio; or probes failing for several buckets; or the status page saying major/critical. Evidence for
``down``: the same at the stricter thresholds, for ``down_confirm_buckets`` buckets in a row. Back to
``up`` after ``recover_buckets`` calm buckets in a row.

``advance`` updates every service's CUSUM and run statistics and lists the candidates (in alarm, or a
surprising bucket, a high CUSUM or outside evidence); ``decide`` moves a candidate's alarm; ``show``
derives the shown status. They run compiled, service by service (``detector.jit``); a stale service
(its source stopped) keeps its machine as it was. ``confidence`` is numpy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from detector.inputs import BucketArrays
from detector.jit import (
    ALARM,
    ALARM_AGE,
    CALM_RUN,
    CALM_START,
    CUSUM,
    CUSUM_DEGRADED,
    CUSUM_DOWN,
    DETECTED,
    DOWN,
    DOWN_CONFIRM,
    DOWN_RELEASE,
    DOWN_RUN,
    FAST_EXP,
    FAST_OBS,
    FAST_RATE,
    HOD_PRIOR_BUCKETS,
    LAST_BUCKET,
    MIN_RATIO_DEGRADED,
    MIN_RATIO_DOWN,
    MIN_REPORTER_SHARE,
    MIN_REPORTERS_DEGRADED,
    MIN_REPORTERS_DOWN,
    MIN_VOLUME_DEGRADED,
    MIN_VOLUME_DOWN,
    OFFICIAL_DEGRADED_LEVEL,
    ONSET,
    PEAK_AT,
    PEAK_COUNT,
    PROBE_CONFIRM,
    PROBE_FAILING_SHARE,
    PROBE_RUN,
    RECOVER_BUCKETS,
    RECOVER_MARGIN_SD,
    RECOVER_RATIO,
    RECOVER_SCORE,
    RELEASE_RUN,
    RUN_EXP,
    RUN_OBS,
    RUN_REPORTERS,
    RUN_SIGNIFICANCE_Z,
    RUN_START,
    SCORE_DEGRADED,
    SCORE_DOWN,
    SEEN,
    SEVERITY,
    SINCE,
    STATUS,
    UNKNOWN,
    UP,
    YOUNG_PROFILE_DISPERSION,
    compiled,
    inlined,
    maximum,
    minimum,
)
from detector.scoring import MIN_MEAN, log_surprise
from detector.state import ALARM_UP, STATUS_UNKNOWN, DetectorState

if TYPE_CHECKING:
    from detector.engine import Engine


@compiled
def advance(rows: np.ndarray, bucket: float, observed: np.ndarray, expected: np.ndarray,
            reporters: np.ndarray, p: np.ndarray, log_slope: np.ndarray, log_shrink: np.ndarray,
            size: np.ndarray, cold: np.ndarray,
            probe_failed: np.ndarray, probe_checks: np.ndarray, has_probes: bool, official: np.ndarray,
            has_official: bool, stale: np.ndarray, has_stale: bool, limits: np.ndarray, score: np.ndarray,
            alarm_before: np.ndarray, candidates: np.ndarray) -> int:
    """Score (1 - p), CUSUM (plus x * log_slope - size * log_shrink, see ``passes.before_tails``), run
    statistics and probe run of every service; writes the candidates for ``decide`` to ``candidates``
    and returns how many there are."""
    count = 0
    score_degraded, cusum_degraded = limits[SCORE_DEGRADED], limits[CUSUM_DEGRADED]
    probe_share, probe_confirm = limits[PROBE_FAILING_SHARE], limits[PROBE_CONFIRM]
    for i in range(rows.shape[1]):
        s = 1.0 - p[i]
        score[i] = s
        before = rows[ALARM, i]
        alarm_before[i] = before
        if has_stale and stale[i]:
            continue
        x = observed[i]
        llr = x * log_slope[i] - size[i] * log_shrink[i]
        old = rows[CUSUM, i]
        cusum = maximum(old + llr, 0.0)
        if cold[i]:
            cusum = 0.0
        in_run = cusum > 0.0
        if old <= 0.0 and in_run:
            rows[RUN_START, i] = bucket
        keep = 1.0 if (before > 0.0 or in_run) else 0.0
        rows[RUN_OBS, i] = (rows[RUN_OBS, i] + x) * keep
        rows[RUN_EXP, i] = (rows[RUN_EXP, i] + expected[i]) * keep
        rows[RUN_REPORTERS, i] = (rows[RUN_REPORTERS, i] + reporters[i]) * keep
        rows[CUSUM, i] = cusum
        if has_probes:
            checks = probe_checks[i]
            failing = checks > 0 and probe_failed[i] >= probe_share * checks
            rows[PROBE_RUN, i] = (rows[PROBE_RUN, i] + 1.0) * (1.0 if failing else 0.0)
        else:
            rows[PROBE_RUN, i] = 0.0
        if s >= score_degraded or cusum >= cusum_degraded or before > UP or (
                has_probes and rows[PROBE_RUN, i] >= probe_confirm) or (
                has_official and official[i] >= limits[OFFICIAL_DEGRADED_LEVEL] and official[i] <= 3):
            candidates[count] = i
            count += 1
    return count


@inlined
def outside_of(rows: np.ndarray, i: int, has_probes: bool, official: np.ndarray, has_official: bool,
               limits: np.ndarray) -> bool:
    """Probes failing for several buckets, or the status page at major/critical."""
    outside = has_probes and rows[PROBE_RUN, i] >= limits[PROBE_CONFIRM]
    if has_official:
        outside = outside or (official[i] >= limits[OFFICIAL_DEGRADED_LEVEL] and official[i] <= 3)
    return outside


@inlined
def run_significant(rows: np.ndarray, i: int, e: float, size: float, limits: np.ndarray) -> bool:
    """The counts summed since the rise began lie ``run_significance_z`` standard deviations above their
    expected sum E: variance E + r_learned * E * mu + r_young * E^2, the learned over-dispersion being
    independent per bucket and the young-profile one (``passes.before_tails``) one error for the run."""
    expected_sum = maximum(rows[RUN_EXP, i], MIN_MEAN)
    mu = maximum(e, MIN_MEAN)
    hod_prior = limits[HOD_PRIOR_BUCKETS]
    r_young = limits[YOUNG_PROFILE_DISPERSION] * hod_prior / (rows[SEEN, i] / 24.0 + hod_prior)
    r_learned = maximum(1.0 / size - r_young, 0.0)
    variance = expected_sum + r_learned * expected_sum * mu + r_young * expected_sum * expected_sum
    z = (rows[RUN_OBS, i] - 0.5 - expected_sum) / math.sqrt(variance)
    return z >= limits[RUN_SIGNIFICANCE_Z]


@inlined
def decide(rows: np.ndarray, i: int, bucket: float, x: float, e: float, s: float, size: float, outside: bool,
           cold: bool, limits: np.ndarray) -> None:
    """The state machine of one candidate service (see ``detector.machine``); ``size`` is the bucket's
    negative-binomial size parameter (1 / over-dispersion)."""
    before, cusum = rows[ALARM, i], rows[CUSUM, i]
    run_obs, run_rep = rows[RUN_OBS, i], rows[RUN_REPORTERS, i]
    ratio = run_obs / maximum(rows[RUN_EXP, i], MIN_MEAN)
    crowd_degraded = (run_rep >= limits[MIN_REPORTER_SHARE] * run_obs
                      and run_obs >= limits[MIN_VOLUME_DEGRADED] and run_rep >= limits[MIN_REPORTERS_DEGRADED]
                      and ratio >= limits[MIN_RATIO_DEGRADED])
    crowd_down = (crowd_degraded and run_obs >= limits[MIN_VOLUME_DOWN]
                  and run_rep >= limits[MIN_REPORTERS_DOWN] and ratio >= limits[MIN_RATIO_DOWN])
    in_alarm = before > UP
    sustained = cusum >= limits[CUSUM_DEGRADED] and (in_alarm or run_significant(rows, i, e, size, limits))
    evidence = crowd_degraded and (s >= limits[SCORE_DEGRADED] or sustained)
    evidence_down = crowd_down and (s >= limits[SCORE_DOWN] or (sustained and cusum >= limits[CUSUM_DOWN]))
    evidence = evidence or outside
    entering = evidence and not in_alarm and not cold

    fast = limits[FAST_RATE]
    fast_obs, fast_exp = x, e
    if in_alarm:
        fast_obs = (x - rows[FAST_OBS, i]) * fast + rows[FAST_OBS, i]
        fast_exp = (e - rows[FAST_EXP, i]) * fast + rows[FAST_EXP, i]
    margin = limits[RECOVER_MARGIN_SD] * math.sqrt(maximum(fast_exp, 0.0) * fast / (2.0 - fast))
    calm_level = maximum(limits[RECOVER_RATIO] * fast_exp, fast_exp + margin)
    calm = fast_obs < calm_level and s < limits[RECOVER_SCORE] and not outside
    down_now = fast_obs >= limits[MIN_RATIO_DOWN] * fast_exp and crowd_down

    down_run = (rows[DOWN_RUN, i] + 1.0 if in_alarm else 1.0) * (
        1.0 if evidence_down and (in_alarm or entering) else 0.0)
    release_run = (rows[RELEASE_RUN, i] + 1.0 if in_alarm else 0.0) * (0.0 if down_now else 1.0)
    calm_run = (rows[CALM_RUN, i] + 1.0 if in_alarm else 0.0) * (1.0 if calm else 0.0)
    if calm_run == 1.0:
        rows[CALM_START, i] = bucket

    alarm = 1.0 if entering else before
    escalate = alarm > UP and down_run >= limits[DOWN_CONFIRM]
    if alarm == DOWN and release_run >= limits[DOWN_RELEASE] and not escalate:
        alarm = 1.0
    if escalate:
        alarm = 2.0
    recovered = calm_run >= limits[RECOVER_BUCKETS] and in_alarm
    if recovered:
        alarm = 0.0
    active = alarm > UP
    rows[ALARM, i] = alarm
    rows[FAST_OBS, i], rows[FAST_EXP, i] = fast_obs, fast_exp
    rows[DOWN_RUN, i] = down_run
    rows[RELEASE_RUN, i] = release_run * (1.0 if alarm == DOWN else 0.0)
    rows[CALM_RUN, i] = calm_run
    rows[ALARM_AGE, i] = (rows[ALARM_AGE, i] + 1.0) * (1.0 if active else 0.0)

    if entering:
        run_start = rows[RUN_START, i]
        rows[ONSET, i] = minimum(run_start, bucket) if math.isfinite(run_start) else bucket
        rows[DETECTED, i] = bucket
        rows[PEAK_COUNT, i] = x
        rows[PEAK_AT, i] = bucket
        rows[SEVERITY, i] = 0.0
        rows[CALM_START, i] = np.nan
    if recovered:
        for row in (CUSUM, RUN_OBS, RUN_EXP, RUN_REPORTERS, DOWN_RUN, RELEASE_RUN):
            rows[row, i] = 0.0
        rows[RUN_START, i] = np.nan
    if active:
        if x > rows[PEAK_COUNT, i]:
            rows[PEAK_COUNT, i] = x
            rows[PEAK_AT, i] = bucket
        rows[SEVERITY, i] = maximum(rows[SEVERITY, i], alarm)


@compiled
def show(rows: np.ndarray, bucket: float, cold: np.ndarray, stale: np.ndarray, has_stale: bool,
         alarm_before: np.ndarray, status: np.ndarray, changed: np.ndarray) -> int:
    """The shown status (``unknown`` while cold or stale), when it last changed, and which services'
    alarm changed."""
    n_changed = 0
    for i in range(rows.shape[1]):
        rows[SEEN, i] = rows[SEEN, i] + 1.0
        alarm = rows[ALARM, i]
        shown = UNKNOWN if cold[i] or (has_stale and stale[i]) else alarm
        status[i] = shown
        old = rows[STATUS, i]
        if shown != old:
            alarm_now = UP < shown < UNKNOWN
            if not (alarm_now and UP < old < UNKNOWN):
                rows[SINCE, i] = bucket
            if alarm_now and old in (UP, UNKNOWN) and math.isfinite(rows[ONSET, i]):
                rows[SINCE, i] = rows[ONSET, i]
            rows[STATUS, i] = shown
        rows[LAST_BUCKET, i] = bucket
        if alarm != alarm_before[i]:
            changed[n_changed] = i
            n_changed += 1
    return n_changed


def confidence(engine: Engine, state: DetectorState, p: np.ndarray, status: np.ndarray,
               arrays: BucketArrays) -> np.ndarray:
    """How sure the shown status is, in [0, 1]: evidence strength, history length, official agreement."""
    s = engine.settings
    strength = np.maximum(log_surprise(p) / engine.down_surprise, state.cusum / s.cusum_down)
    strength = np.minimum(strength, 1.0)
    alarm_conf = 0.5 + 0.5 * strength
    if arrays.official is not None:
        alarm_conf = np.where(arrays.official >= 1, 1.0 - 0.3 * (1.0 - alarm_conf), alarm_conf)
    alarm_conf = np.where(state.probe_run > 0, 1.0 - 0.5 * (1.0 - alarm_conf), alarm_conf)
    shown = np.where(status > ALARM_UP, alarm_conf, 1.0 - 0.5 * strength)
    history = 0.85 + 0.15 * np.minimum(state.seen / engine.full_confidence_buckets, 1.0)
    return np.where(status == STATUS_UNKNOWN, 0.0, shown * history)
