"""The verdict state machine: evidence in, up/degraded/down out, with hysteresis so one bucket never flaps.

Evidence for ``degraded``: a surprising bucket (score >= score_degraded) or a sustained rise (CUSUM >=
cusum_degraded), backed since the rise began by enough volume, enough distinct reporters, enough
reporters per signal (a flood from a few clients is not an outage) and a high enough observed/expected
ratio; or probes failing for several buckets; or the status page saying major/critical. Evidence for
``down``: the same at the stricter thresholds, for ``down_confirm_buckets`` buckets in a row. Back to
``up`` after ``recover_buckets`` calm buckets in a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from detector.inputs import BucketArrays
from detector.scoring import MIN_MEAN, log_surprise
from detector.state import ALARM_DOWN, ALARM_UP, ROW, STATUS_UNKNOWN, DetectorState

if TYPE_CHECKING:
    from detector.engine import Engine
    from detector.workspace import Workspace

MACHINE_FIELDS = ("cusum", "run_start", "run_obs", "run_exp", "run_reporters", "fast_obs", "fast_exp",
                  "alarm", "down_run", "release_run", "calm_run", "calm_start", "alarm_age", "probe_run",
                  "onset", "detected", "peak_count", "peak_at", "severity")


@dataclass(slots=True)
class Snapshot:
    index: np.ndarray
    values: dict[str, np.ndarray]


def snapshot(state: DetectorState, frozen: np.ndarray | None) -> Snapshot | None:
    """The machine's memory of the services in ``frozen`` (stale input: their verdict must not move)."""
    if frozen is None or not frozen.any():
        return None
    index = np.flatnonzero(frozen)
    return Snapshot(index, {name: getattr(state, name)[index].copy() for name in MACHINE_FIELDS})


def restore(state: DetectorState, saved: Snapshot) -> None:
    for name, values in saved.values.items():
        getattr(state, name)[saved.index] = values


def advance(engine: Engine, state: DetectorState, arrays: BucketArrays, bucket: int, observed: np.ndarray,
            expected: np.ndarray, score: np.ndarray, llr: np.ndarray, cold: np.ndarray | None,
            work: Workspace) -> bool:
    """Move every service's alarm one bucket forward, in place; True when some service was a candidate.

    The run statistics (CUSUM and the volume, expectation and reporters since the rise began) are
    updated for every service; the decisions only for candidates: services in alarm, or with a
    surprising bucket, a high CUSUM or outside evidence. The others stay ``up`` by construction.
    """
    s, c, scratch = engine.limits, work.constants, work.scratch
    cusum, started, in_run = state.cusum, scratch.started, scratch.in_run
    flag, keep = scratch.flag, scratch.keep
    np.less_equal(cusum, c.zero, out=started)
    np.add(cusum, llr, out=cusum)
    np.maximum(cusum, c.zero, out=cusum)
    if cold is not None:
        np.putmask(cusum, cold, c.zero)
    np.greater(cusum, c.zero, out=in_run)
    started &= in_run
    np.putmask(state.run_start, started, float(bucket))
    np.greater(state.alarm, c.zero, out=flag)
    flag |= in_run
    np.copyto(keep, flag)
    for total, amount in ((state.run_obs, observed), (state.run_exp, expected),
                          (state.run_reporters, arrays.reporters)):
        np.add(total, amount, out=total)
        np.multiply(total, keep, out=total)

    outside = _outside_evidence(engine, state, arrays)
    suspect = scratch.calm
    np.greater_equal(score, s.score_degraded, out=suspect)
    np.greater_equal(cusum, s.cusum_degraded, out=flag)
    suspect |= flag
    np.greater(state.alarm, c.zero, out=flag)
    suspect |= flag
    if outside is not None:
        suspect |= outside
    index = suspect.nonzero()[0]
    if index.size:
        _decide(engine, state, index, bucket, observed[index], expected[index], score[index],
                None if outside is None else outside[index], None if cold is None else cold[index])
    return bool(index.size)


# The machine's fields of one service, rows cusum .. alarm_age of ``DetectorState.rows``, are
# gathered for the candidates in one operation; offsets within that gathered block:
DECIDED = slice(ROW["cusum"], ROW["alarm_age"] + 1)
CUSUM, RUN_OBS, RUN_EXP, RUN_REPORTERS = (ROW[name] - DECIDED.start for name in
                                          ("cusum", "run_obs", "run_exp", "run_reporters"))
FAST, ALARM, COUNTERS, CALM_START, AGE = (ROW[name] - DECIDED.start for name in
                                          ("fast_obs", "alarm", "down_run", "calm_start", "alarm_age"))
WRITTEN = slice(ROW["fast_obs"], ROW["alarm_age"] + 1)
"""The rows ``_decide`` writes back: fast_obs, fast_exp, alarm, down_run, release_run, calm_run,
calm_start, alarm_age."""
PEAK = slice(ROW["peak_count"], ROW["severity"] + 1)
COUNTER_RESTART = np.array([[1.0], [0.0], [0.0]])
"""down_run, release_run and calm_run of a service that was not in alarm, before their condition."""
COUNTER_RESTART.flags.writeable = False


def _decide(engine: Engine, state: DetectorState, index: np.ndarray, bucket: int, observed: np.ndarray,
            expected: np.ndarray, score: np.ndarray, outside: np.ndarray | None,
            cold: np.ndarray | None) -> None:
    """The state machine for the candidate services at ``index`` (all arguments are their slices)."""
    s = engine.limits
    block = state.rows[DECIDED, index]
    alarm = block[ALARM]
    before = alarm.copy()
    cusum, run_obs, run_rep = block[CUSUM], block[RUN_OBS], block[RUN_REPORTERS]
    ratio = run_obs / np.maximum(block[RUN_EXP], MIN_MEAN)
    crowd_degraded = run_rep >= s.min_reporter_share * run_obs
    crowd_degraded &= run_obs >= s.min_volume_degraded
    crowd_degraded &= run_rep >= s.min_reporters_degraded
    crowd_degraded &= ratio >= s.min_ratio_degraded
    crowd_down = run_obs >= s.min_volume_down
    crowd_down &= crowd_degraded
    crowd_down &= run_rep >= s.min_reporters_down
    crowd_down &= ratio >= s.min_ratio_down
    evidence = score >= s.score_degraded
    evidence |= cusum >= s.cusum_degraded
    evidence &= crowd_degraded
    evidence_down = score >= s.score_down
    evidence_down |= cusum >= s.cusum_down
    evidence_down &= crowd_down
    if outside is not None:
        evidence |= outside
    in_alarm = before > ALARM_UP
    entering = evidence & ~in_alarm
    if cold is not None:
        entering &= ~cold

    # fast_obs, fast_exp: F + rate * (now - F) in alarm, else restart at now
    fast = block[FAST:FAST + 2]
    now = np.empty_like(fast)
    now[0], now[1] = observed, expected
    moved = now - fast
    moved *= engine.fast_rate
    moved += fast
    np.copyto(fast, now)
    np.copyto(fast, moved, where=in_alarm)
    fast_obs, fast_exp = fast
    calm = fast_obs < s.recover_ratio * fast_exp
    calm &= score < s.recover_score
    if outside is not None:
        calm &= ~outside
    down_now = fast_obs >= s.min_ratio_down * fast_exp
    down_now &= crowd_down

    # down_run, release_run, calm_run: one more in alarm (else restart), kept while their condition holds
    counters = block[COUNTERS:COUNTERS + 3]
    counters += 1.0
    np.copyto(counters, COUNTER_RESTART, where=~in_alarm)
    holds = np.empty(counters.shape, dtype=bool)
    np.logical_or(in_alarm, entering, out=holds[0])
    holds[0] &= evidence_down
    np.logical_not(down_now, out=holds[1])
    holds[2] = calm
    counters *= holds
    down_run, release_run, calm_run = counters
    np.putmask(block[CALM_START], calm_run == 1.0, float(bucket))

    np.putmask(alarm, entering, 1.0)
    escalate = alarm > ALARM_UP
    escalate &= down_run >= s.down_confirm_buckets
    release = alarm == ALARM_DOWN
    release &= release_run >= s.down_release_buckets
    release &= ~escalate
    np.putmask(alarm, release, 1.0)
    np.putmask(alarm, escalate, 2.0)
    recovered = calm_run >= s.recover_buckets
    recovered &= in_alarm
    np.putmask(alarm, recovered, 0.0)
    release_run *= alarm == ALARM_DOWN
    active = alarm > ALARM_UP
    age = block[AGE]
    age += 1.0
    age *= active
    state.rows[WRITTEN, index] = block[FAST:]

    opened = index[entering]
    if opened.size:
        _open(state, opened, bucket, observed[entering])
    closed = index[recovered]
    if closed.size:
        _reset_run(state, closed)
    if np.count_nonzero(active):
        _track_peak(state, index[active], bucket, observed[active], alarm[active])


def _outside_evidence(engine: Engine, state: DetectorState, arrays: BucketArrays) -> np.ndarray | None:
    """Probes failing for several buckets, or the status page at major/critical."""
    s = engine.limits
    evidence: np.ndarray | None = None
    if arrays.probe_checks is not None and arrays.probe_failed is not None:
        checks = arrays.probe_checks
        failing = (checks > 0) & (arrays.probe_failed >= s.probe_failing_share * checks)
        np.multiply(state.probe_run + 1.0, failing, out=state.probe_run)
        evidence = state.probe_run >= s.probe_confirm_buckets
    elif state.probe_run.any():
        state.probe_run.fill(0.0)
    if arrays.official is not None:
        official = (arrays.official >= s.official_degraded_level) & (arrays.official <= 3)
        evidence = official if evidence is None else evidence | official
    return evidence


def _open(state: DetectorState, index: np.ndarray, bucket: int, observed: np.ndarray) -> None:
    run_start = state.run_start[index]
    state.onset[index] = np.where(np.isfinite(run_start), np.minimum(run_start, bucket), bucket)
    state.detected[index] = bucket
    state.peak_count[index] = observed
    state.peak_at[index] = bucket
    state.severity[index] = 0.0
    state.calm_start[index] = np.nan


def _reset_run(state: DetectorState, index: np.ndarray) -> None:
    for name in ("cusum", "run_obs", "run_exp", "run_reporters", "down_run", "release_run"):
        getattr(state, name)[index] = 0.0
    state.run_start[index] = np.nan


def _track_peak(state: DetectorState, index: np.ndarray, bucket: int, now: np.ndarray,
                alarm: np.ndarray) -> None:
    """The highest count of the alarm so far, when it was, and the worst alarm level."""
    peak = state.rows[PEAK, index]
    peak_count, peak_at, severity = peak
    higher = now > peak_count
    np.putmask(peak_count, higher, now)
    np.putmask(peak_at, higher, float(bucket))
    np.maximum(severity, alarm, out=severity)
    state.rows[PEAK, index] = peak


def mark_since(state: DetectorState, status: np.ndarray, moved: np.ndarray, bucket: int) -> None:
    """Record when each service's shown status changed; an alarm dates from the rise's onset, and moving
    between ``degraded`` and ``down`` keeps that date."""
    entering_alarm = moved & (status > ALARM_UP) & (status < STATUS_UNKNOWN) & (
        (state.status == ALARM_UP) | (state.status == STATUS_UNKNOWN))
    within_alarm = moved & (status > ALARM_UP) & (status < STATUS_UNKNOWN) & (state.status > ALARM_UP) & (
        state.status < STATUS_UNKNOWN)
    np.putmask(state.since, moved & ~within_alarm, float(bucket))
    np.copyto(state.since, state.onset, where=entering_alarm & np.isfinite(state.onset))
    state.status[...] = status


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
