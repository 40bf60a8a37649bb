"""One series (a NAB-format ``timestamp,value`` file) through the live detector, row by row.

A series is the counts of one service: each row is one bucket of ``LiveDetector``, and the row's
anomaly score is the live detector's decision for that bucket (``Engine.step``'s ``decision``,
``detector.decision``) as ``decision.onset_score`` reads it: below 0.5 how near the incident rule is
to opening an incident, at least 0.5 exactly at the bucket where it opens one, and 0 while that alarm
stays open. So a NAB figure, whose threshold is optimised, measures the rule that decides verdicts,
made stricter or looser in every gate, one flag per incident.

* The bucket width is the largest divisor of a day not above the series' median step (5-minute rows
  give 300 s buckets), so the detector's rates, which are set in time, mean the same at any step.
* Row ``i`` is fed at the start of the bucket holding its time; a row whose bucket was already fed
  (a duplicate, out-of-order or too-close timestamp) is fed as the next bucket, so every row is scored
  once, in file order, and nothing looks ahead. A gap is a gap: no bucket is fed for it.
* Values are counts: a negative value is taken as 0 (the detector looks for rises in volume).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from detector.decision import THRESHOLD, onset_score
from detector.inputs import BucketArrays
from detector.live import LiveDetector
from detector.settings import DetectorSettings, detector_settings

DAY_SECONDS = 86400
SERVICE = "series"


def bucket_width(epochs: Sequence[float]) -> int:
    """The largest divisor of a day that is at most the median positive step between rows (>= 1 s)."""
    steps = np.diff(np.asarray(epochs, dtype=float))
    steps = steps[steps > 0]
    median = float(np.median(steps)) if steps.size else 60.0
    target = max(1, min(DAY_SECONDS, math.floor(median)))
    return max(d for d in range(1, target + 1) if DAY_SECONDS % d == 0)


def series_settings(epochs: Sequence[float]) -> DetectorSettings:
    return detector_settings(bucket_seconds=bucket_width(epochs))


def score_series(epochs: Sequence[float], values: Sequence[float],
                 settings: DetectorSettings | None = None) -> list[float]:
    """The live detector's onset score of every row (seconds since the epoch, value), causally."""
    chosen = settings or series_settings(epochs)
    width = chosen.bucket_seconds
    detector = LiveDetector([SERVICE], chosen)
    now = datetime.now(UTC)
    scores: list[float] = []
    last: int | None = None
    zero = np.zeros(1)
    alarm_open = False
    for when, value in zip(epochs, values, strict=True):
        bucket = math.floor(when / width) * width
        if last is not None and bucket <= last:
            bucket = last + width
        count = np.array([max(float(value), 0.0)])
        detector.step_arrays(datetime.fromtimestamp(bucket, UTC),
                             BucketArrays(reports=count, posts=zero, reporters=count), now,
                             with_decision=True)
        assert detector.last is not None and detector.last.decision is not None
        decided = float(detector.last.decision[0])
        scores.append(onset_score(decided, alarm_open))
        alarm_open = decided >= THRESHOLD
        last = bucket
    return scores
