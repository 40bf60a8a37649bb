"""The decision (``Engine.step(with_decision=True)``, what ``downwatch score`` writes): the incident
rule's own strength, at least ``THRESHOLD`` exactly while an alarm is open, and monotone in the rise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detector.decision import THRESHOLD, onset_score
from detector.inputs import BucketArrays
from detector.live import LiveDetector
from detector.settings import DetectorSettings

START = datetime(2025, 3, 3, tzinfo=UTC)
WIDTH = timedelta(minutes=5)


def run(counts: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Decision and shown status of one service fed ``counts`` (5-minute buckets, reports = reporters)."""
    detector = LiveDetector(["svc"], DetectorSettings(bucket_seconds=300))
    decisions, statuses = [], []
    for k, count in enumerate(counts):
        x = np.array([count])
        detector.step_arrays(START + k * WIDTH, BucketArrays(reports=x, posts=np.zeros(1), reporters=x),
                             START, with_decision=True)
        assert detector.last is not None and detector.last.decision is not None
        decisions.append(float(detector.last.decision[0]))
        statuses.append(int(detector.last.status[0]))
    return np.array(decisions), np.array(statuses)


def quiet(days: float, per_bucket: float, seed: int = 2) -> list[float]:
    rng = np.random.default_rng(seed)
    return rng.poisson(per_bucket, int(days * 288)).astype(float).tolist()


def test_an_alarm_is_open_exactly_while_the_decision_is_at_least_the_threshold() -> None:
    history = quiet(3.0, 20.0)
    counts = history + [200.0] * 6 + quiet(0.5, 20.0, seed=5) + [15.0, 60.0, 70.0, 30.0] + quiet(0.5, 20.0)
    decisions, statuses = run(counts)
    in_alarm = (statuses == 1) | (statuses == 2)
    assert in_alarm[len(history)] and in_alarm.sum() < len(counts) / 10
    assert np.array_equal(decisions >= THRESHOLD, in_alarm)
    assert np.all((decisions >= 0.0) & (decisions <= 1.0))
    cold = statuses == 3
    assert cold.any() and np.all(decisions[cold] == 0.0)


def test_a_larger_rise_is_nearer_an_incident() -> None:
    history = quiet(3.0, 20.0)
    below = [run([*history, 20.0 + extra])[0][-1] for extra in (10.0, 20.0, 40.0, 60.0)]
    assert below[0] == 0.0
    assert below[1] < below[2] < below[3] < THRESHOLD
    above = [run([*history, 20.0 + extra])[0][-1] for extra in (100.0, 150.0, 1000.0)]
    assert THRESHOLD <= above[0] < above[1] <= above[2] <= 1.0


def test_the_onset_score_flags_the_bucket_where_an_alarm_opens_and_not_the_rest_of_it() -> None:
    history = quiet(3.0, 20.0)
    counts = history + [200.0] * 6 + quiet(0.5, 20.0, seed=5)
    decisions, statuses = run(counts)
    in_alarm = (statuses == 1) | (statuses == 2)
    opened = len(history)
    assert in_alarm[opened] and in_alarm[opened + 1:opened + 6].all()
    was_open = np.concatenate([[False], decisions[:-1] >= THRESHOLD])
    onsets = np.array([onset_score(d, w) for d, w in zip(decisions, was_open, strict=True)])
    assert np.flatnonzero(onsets >= THRESHOLD).tolist() == [opened]
    assert onsets[opened] == decisions[opened]
    assert np.all(onsets[opened + 1:opened + 6] == 0.0)
    assert np.array_equal(onsets[~in_alarm], decisions[~in_alarm])
