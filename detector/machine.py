"""The verdict state machine: evidence in, up/degraded/down out, with hysteresis so one bucket never flaps.

Evidence for ``degraded``: a surprising bucket (score >= score_degraded) or a sustained rise (CUSUM >=
cusum_degraded), backed since the rise began by enough volume, enough distinct reporters, enough
reporters per signal (a flood from a few clients is not an outage; asked of the run and of the last
``excess_window_seconds``, so a crowd earlier in a long run cannot carry a later flood) and a high
enough observed/expected ratio; or probes failing for several buckets; or the status page saying
major/critical. Evidence for ``down``: the same at the stricter thresholds, for
``down_confirm_buckets`` buckets in a row. Back to ``up`` after ``recover_buckets`` calm buckets in a
row.

``advance`` updates every service's CUSUM and run statistics and lists the candidates (in alarm, or a
surprising bucket, a high CUSUM or outside evidence); ``decide`` moves a candidate's alarm; ``show``
derives the shown status. They run compiled, service by service (``detector.jit``); a stale service
(its source stopped) keeps its machine as it was. Codes are ``detector.codes``; ``limits`` is
``Limits.packed()`` in the loops and its record in the per-service helpers.
"""

from __future__ import annotations

import math

import numpy as np

from detector import bursts, cusum
from detector.codes import DEGRADED, DOWN, OFFICIAL_CRITICAL, UNKNOWN, UP
from detector.jit import compiled, maximum, minimum
from detector.limits import Limits
from detector.scoring import MIN_MEAN
from detector.state import (
    ALARM,
    ALARM_AGE,
    BURST_RATIO,
    CALM_RUN,
    CALM_START,
    CUSUM,
    DETECTED,
    DOWN_RUN,
    EXCESS,
    EXCESS_SINCE,
    FAST_EXP,
    FAST_OBS,
    LAST_BUCKET,
    ONSET,
    PEAK_AT,
    PEAK_COUNT,
    PROBE_RUN,
    RELEASE_RUN,
    REPORTER_EXCESS,
    RUN_EXP,
    RUN_OBS,
    RUN_REPORTERS,
    RUN_START,
    SEEN,
    SEVERITY,
    SINCE,
    STATUS,
)


@compiled
def advance(rows: np.ndarray, bucket: float, observed: np.ndarray, expected: np.ndarray,
            reporters: np.ndarray, p: np.ndarray, log_slope: np.ndarray, log_shrink: np.ndarray,
            size: np.ndarray, cold: np.ndarray,
            probe_failed: np.ndarray, probe_checks: np.ndarray, has_probes: bool, official: np.ndarray,
            has_official: bool, stale: np.ndarray, has_stale: bool, limits: np.ndarray, score: np.ndarray,
            alarm_before: np.ndarray, candidates: np.ndarray) -> int:
    """Score (1 - p), CUSUM and run statistics (``cusum.advance``) and probe run of every service;
    writes the candidates for ``decide`` to ``candidates`` and returns how many there are."""
    count = 0
    lim = limits[0]
    score_degraded, cusum_degraded = lim.score_degraded, lim.cusum_degraded
    probe_share, probe_confirm = lim.probe_failing_share, lim.probe_confirm_buckets
    decay, gain = lim.excess_decay, lim.excess_gain
    for i in range(rows.shape[1]):
        s = 1.0 - p[i]
        score[i] = s
        before = rows[ALARM, i]
        alarm_before[i] = before
        if has_stale and stale[i]:
            continue
        rows[EXCESS, i] = rows[EXCESS, i] * decay + (observed[i] - expected[i]) * gain
        rows[REPORTER_EXCESS, i] = rows[REPORTER_EXCESS, i] * decay + (reporters[i] - expected[i]) * gain
        if rows[EXCESS, i] <= 0.0:
            rows[EXCESS_SINCE, i] = np.nan
        elif not math.isfinite(rows[EXCESS_SINCE, i]):
            rows[EXCESS_SINCE, i] = bucket
        crowd = reporters[i] - expected[i] >= lim.min_reporter_share * (observed[i] - expected[i])
        bursts.record(rows, i, bucket, rows[EXCESS, i], expected[i], before == UP and crowd, lim)
        level = cusum.advance(rows, i, bucket, observed[i], expected[i], reporters[i], log_slope[i],
                              log_shrink[i], size[i], cold[i], before > UP)
        if has_probes:
            checks = probe_checks[i]
            failing = checks > 0 and probe_failed[i] >= probe_share * checks
            rows[PROBE_RUN, i] = (rows[PROBE_RUN, i] + 1.0) * (1.0 if failing else 0.0)
        else:
            rows[PROBE_RUN, i] = 0.0
        if s >= score_degraded or level >= cusum_degraded or before > UP or (
                has_probes and rows[PROBE_RUN, i] >= probe_confirm) or (
                has_official and lim.official_degraded_level <= official[i] <= OFFICIAL_CRITICAL):
            candidates[count] = i
            count += 1
    return count


@compiled
def onset_of(rows: np.ndarray, i: int, bucket: float) -> float:
    """Where the rise an alarm opens on began: the start of the CUSUM run, or later, where the windowed
    excess last turned positive (a quiet service's CUSUM can stay above 0 for hours on stray reports
    before the outage, and its run start would date the outage back to the first of them); the bucket
    itself when neither is known."""
    run_start, rising = rows[RUN_START, i], rows[EXCESS_SINCE, i]
    onset = minimum(run_start, bucket) if math.isfinite(run_start) else bucket
    return maximum(onset, rising) if math.isfinite(rising) else onset


@compiled
def outside_of(rows: np.ndarray, i: int, has_probes: bool, official: np.ndarray, has_official: bool,
               limits: Limits) -> bool:
    """Probes failing for several buckets, or the status page at ``official_degraded_level`` or worse."""
    outside = has_probes and rows[PROBE_RUN, i] >= limits.probe_confirm_buckets
    if has_official:
        outside = outside or (limits.official_degraded_level <= official[i] <= OFFICIAL_CRITICAL)
    return outside


@compiled
def decide(rows: np.ndarray, i: int, bucket: float, x: float, e: float, s: float, size: float, outside: bool,
           cold: bool, limits: Limits) -> None:
    """The state machine of one candidate service (see ``detector.machine``); ``size`` is the bucket's
    negative-binomial size parameter (1 / over-dispersion)."""
    before, level = rows[ALARM, i], rows[CUSUM, i]
    run_obs, run_rep = rows[RUN_OBS, i], rows[RUN_REPORTERS, i]
    run_exp = rows[RUN_EXP, i]
    ratio = run_obs / maximum(run_exp, MIN_MEAN)
    crowd_degraded = (run_rep - run_exp >= limits.min_reporter_share * (run_obs - run_exp)
                      and rows[REPORTER_EXCESS, i] >= limits.min_reporter_share * rows[EXCESS, i]
                      and run_rep >= limits.min_reporters_degraded and ratio >= limits.min_ratio_degraded
                      and rows[EXCESS, i] >= limits.incident_excess)
    crowd_down = crowd_degraded and run_rep >= limits.min_reporters_down and ratio >= limits.min_ratio_down
    in_alarm = before > UP
    designed = ratio >= limits.cusum_ratio or rows[SEEN, i] >= limits.young_buckets
    sustained = level >= limits.cusum_degraded and (
        in_alarm or (designed and cusum.run_significant(rows, i, e, size, limits)))
    evidence = crowd_degraded and (s >= limits.score_degraded or sustained)
    evidence_down = crowd_down and (s >= limits.score_down or (sustained and level >= limits.cusum_down))
    evidence = evidence or outside
    entering = evidence and not in_alarm and not cold and (
        outside or rows[BURST_RATIO, i] >= bursts.ceiling(rows, i, bucket, limits))

    fast = limits.fast_rate
    fast_obs, fast_exp = x, e
    if in_alarm:
        fast_obs = (x - rows[FAST_OBS, i]) * fast + rows[FAST_OBS, i]
        fast_exp = (e - rows[FAST_EXP, i]) * fast + rows[FAST_EXP, i]
    margin = limits.recover_margin_sd * math.sqrt(maximum(fast_exp, 0.0) * fast / (2.0 - fast))
    calm_level = maximum(limits.recover_ratio * fast_exp, fast_exp + margin)
    calm = fast_obs < calm_level and s < limits.recover_score and not outside
    down_now = fast_obs >= limits.min_ratio_down * fast_exp and crowd_down

    down_run = (rows[DOWN_RUN, i] + 1.0 if in_alarm else 1.0) * (
        1.0 if evidence_down and (in_alarm or entering) else 0.0)
    release_run = (rows[RELEASE_RUN, i] + 1.0 if in_alarm else 0.0) * (0.0 if down_now else 1.0)
    calm_run = (rows[CALM_RUN, i] + 1.0 if in_alarm else 0.0) * (1.0 if calm else 0.0)
    if calm_run == 1.0:
        rows[CALM_START, i] = bucket

    alarm = float(DEGRADED) if entering else before
    escalate = alarm > UP and down_run >= limits.down_confirm_buckets
    if alarm == DOWN and release_run >= limits.down_release_buckets and not escalate:
        alarm = float(DEGRADED)
    if escalate:
        alarm = float(DOWN)
    recovered = calm_run >= limits.recover_buckets and in_alarm
    if recovered:
        alarm = float(UP)
    active = alarm > UP
    rows[ALARM, i] = alarm
    rows[FAST_OBS, i], rows[FAST_EXP, i] = fast_obs, fast_exp
    rows[DOWN_RUN, i] = down_run
    rows[RELEASE_RUN, i] = release_run * (1.0 if alarm == DOWN else 0.0)
    rows[CALM_RUN, i] = calm_run
    rows[ALARM_AGE, i] = (rows[ALARM_AGE, i] + 1.0) * (1.0 if active else 0.0)

    if entering:
        rows[ONSET, i] = onset_of(rows, i, bucket)
        rows[DETECTED, i] = bucket
        rows[PEAK_COUNT, i] = x
        rows[PEAK_AT, i] = bucket
        rows[SEVERITY, i] = 0.0
        rows[CALM_START, i] = np.nan
    if recovered:
        cusum.end_run(rows, i)
        rows[DOWN_RUN, i] = 0.0
        rows[RELEASE_RUN, i] = 0.0
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
        shown = float(UNKNOWN) if cold[i] or (has_stale and stale[i]) else alarm
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
