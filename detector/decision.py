"""How near the incident rule is to opening an incident, or how deep into one the service is: in [0, 1].

The incident rule (``detector.machine.decide``) opens an alarm from ``up`` when every one of its gates
holds. Each gate compares a number with its threshold, so each has a closeness g = number / threshold
(>= 1: the gate holds); a ratio gate (1 = no rise) compares logs, log ratio / log threshold:

* the absolute size: windowed excess D / ``incident_excess``;
* the relative size: log(run ratio O/E) / log ``min_ratio_degraded``;
* the crowd: run reporters N / ``min_reporters_degraded`` and (N - E) / (``min_reporter_share`` (O - E));
* the surprise: the larger of log p / log(1 - ``score_degraded``) (a single surprising bucket) and,
  for a sustained rise, the smaller of S / ``cusum_degraded``, the run's z / its significance quantile
  and, while the service is young, log(O/E) / log ``cusum_ratio`` (the CUSUM-only path);
* beyond the service's own bursts: log(windowed ratio) / log ``bursts.ceiling`` (no ceiling: holds).

The rule's closeness is c = the smallest g (the gate furthest from holding; a cold service has c = 0
and outside evidence c = inf). Outside an alarm the decision is 0.5 min(c, 1): 0 when some gate is
nowhere near, approaching 0.5 as the last gate nears its threshold; an alarm opens exactly when every
gate holds. While an alarm is open the decision is 0.5 + 0.5 c / (1 + c) with c the closeness of the
evidence that keeps an alarm (the same gates, without the burst ceiling and the run significance,
which only an opening alarm needs): at least 0.5 throughout the alarm, higher the further the bucket
is into incident territory. So the alarm is open exactly when the decision is at least 0.5, and a threshold
elsewhere is the same rule made stricter or looser in every gate at once (``downwatch score``).

Read after the bucket was decided (the state rows as ``machine.decide`` left them), before the
baseline learns; computed only when asked for (``Engine.step(with_decision=True)``).
"""

from __future__ import annotations

import math

import numpy as np

from detector import bursts, cusum
from detector.codes import UP
from detector.jit import compiled, maximum, minimum
from detector.limits import Limits
from detector.scoring import MIN_MEAN
from detector.state import ALARM, CUSUM, EXCESS, RUN_EXP, RUN_OBS, RUN_REPORTERS, SEEN

THRESHOLD = 0.5
"""The decision at which the rule holds: below it the service is up, at or above it an alarm is open."""


@compiled
def closeness(value: float, threshold: float) -> float:
    """value / threshold, 0 for a value at or below 0, inf for a threshold at or below 0."""
    if threshold <= 0.0:
        return math.inf
    return maximum(value, 0.0) / threshold


@compiled
def ratio_closeness(ratio: float, threshold: float) -> float:
    """log(ratio) / log(threshold) for a ratio gate (1 = no rise): 0 at or below 1, inf for a threshold
    at or below 1."""
    if threshold <= 1.0:
        return math.inf
    return math.log(maximum(ratio, 1.0)) / math.log(threshold)


@compiled
def decision(rows: np.ndarray, i: int, bucket: float, e: float, p: float, size: float, outside: bool,
             cold: bool, limits: Limits) -> float:
    """The decision of service ``i`` after its bucket (expected ``e``, tail probability ``p``, size
    parameter ``size``) was decided."""
    in_alarm = rows[ALARM, i] > UP
    if cold and not in_alarm:
        return 0.0
    if outside:
        return 1.0
    run_obs, run_rep = rows[RUN_OBS, i], rows[RUN_REPORTERS, i]
    run_exp = rows[RUN_EXP, i]
    ratio = run_obs / maximum(run_exp, MIN_MEAN)
    c = minimum(closeness(rows[EXCESS, i], limits.incident_excess),
                ratio_closeness(ratio, limits.min_ratio_degraded))
    c = minimum(c, closeness(run_rep, limits.min_reporters_degraded))
    c = minimum(c, closeness(run_rep - run_exp, limits.min_reporter_share * (run_obs - run_exp)))
    surprise = math.inf if p <= 0.0 else math.log(p) / limits.log_p_degraded
    sustained = closeness(rows[CUSUM, i], limits.cusum_degraded)
    if not in_alarm:
        sustained = minimum(sustained, closeness(cusum.run_z(rows, i, e, size, limits),
                                                 limits.run_significance_z))
        if rows[SEEN, i] < limits.young_buckets:
            sustained = minimum(sustained, ratio_closeness(ratio, limits.cusum_ratio))
    c = minimum(c, maximum(surprise, sustained))
    if in_alarm:
        return THRESHOLD + (1.0 - THRESHOLD) * (1.0 if c == math.inf else c / (1.0 + c))
    windowed = bursts.windowed_ratio(rows[EXCESS, i], e, limits)
    c = minimum(c, ratio_closeness(windowed, bursts.ceiling(rows, i, bucket, limits)))
    return THRESHOLD * minimum(c, 1.0)


def onset_score(decision_now: float, alarm_was_open: bool) -> float:
    """A row's anomaly score (``downwatch score``): the decision, except while an alarm that opened in
    an earlier bucket stays open, where it is 0.

    The live rule raises an incident once, when its alarm opens; the buckets after that say nothing
    new. So the score is at least ``THRESHOLD`` exactly at the bucket where an alarm opens, and below
    it the closeness of the rule to opening one (a threshold below ``THRESHOLD`` is the rule made
    looser in every gate). A benchmark that counts every flagged bucket (NAB) then counts one per
    incident, as a reader of the verdicts would.
    """
    return 0.0 if alarm_was_open and decision_now >= THRESHOLD else decision_now
