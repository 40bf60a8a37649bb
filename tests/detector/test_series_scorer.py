"""The general streaming scorer: causal, bounded, and it finds what a person would call an anomaly."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.series import ScorerConfig, StreamingScorer, score_series

FIXTURE = Path(__file__).parent.parent / "fixtures" / "nab" / "posts_with_outage.csv"
OUTAGE_START = 1500  # rows 1500..1539 of the fixture carry four times the usual volume
STEP = 300.0


def fixture_points() -> list[tuple[float, float]]:
    with FIXTURE.open() as handle:
        rows = list(csv.DictReader(handle))
    start = 1_709_251_200.0  # 2024-03-01 00:00:00 UTC, the fixture's first timestamp
    return [(start + STEP * index, float(row["value"])) for index, row in enumerate(rows)]


def test_an_outage_in_the_fixture_gets_the_highest_score_right_at_its_start() -> None:
    scores = np.array(score_series(fixture_points()))
    onset = scores[OUTAGE_START:OUTAGE_START + 6].max()
    quiet = np.concatenate([scores[300:OUTAGE_START], scores[OUTAGE_START + 40:]])
    assert onset >= 0.55
    assert quiet.max() <= 0.4
    assert np.argmax(scores[300:]) + 300 - OUTAGE_START in range(6)


def regular(values: list[float]) -> list[tuple[float, float]]:
    return [(STEP * index, value) for index, value in enumerate(values)]


def test_a_drop_to_zero_is_as_alarming_as_a_spike() -> None:
    rng = np.random.default_rng(3)
    values = list(rng.normal(100.0, 5.0, 1200))
    values[1000:1030] = [0.0] * 30
    scores = np.array(score_series(regular(values)))
    assert scores[1000:1005].max() > scores[200:1000].max() + 0.1


def test_a_flatline_in_a_noisy_series_is_found() -> None:
    rng = np.random.default_rng(4)
    values = list(rng.normal(-3.5, 0.2, 1500))
    values[1200:1400] = [values[1199]] * 200
    scores = np.array(score_series(regular(values)))
    assert scores[1200:1260].max() > scores[300:1200].max()


def test_a_constant_series_never_alarms() -> None:
    assert max(score_series(regular([7.25] * 800))) == 0.0


def test_irregular_steps_and_a_clock_going_backwards_are_scored() -> None:
    rng = np.random.default_rng(5)
    times = np.cumsum(rng.choice([60.0, 300.0, 3600.0], size=600))
    points = [(float(t), float(v)) for t, v in zip(times, rng.normal(0.0, 1.0, 600), strict=True)]
    points[300] = (points[100][0], points[300][1])
    scores = score_series(points)
    assert len(scores) == 600
    assert all(0.0 <= score < 1.0 and math.isfinite(score) for score in scores)


def test_a_sustained_shift_is_not_learned_away_before_the_alarm_ends() -> None:
    config = ScorerConfig()
    scorer = StreamingScorer(config)
    rng = np.random.default_rng(6)
    for index, value in enumerate(rng.normal(10.0, 1.0, 1000)):
        scorer.process(STEP * index, float(value))
    surprises = []
    for index in range(1000, 1000 + config.reference_lag_rows):
        scorer.process(STEP * index, 30.0)
        surprises.append(scorer.last_surprise)
    assert min(surprises) >= config.alarm_surprise


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(past=st.lists(finite, min_size=1, max_size=150),
       future_a=st.lists(finite, min_size=1, max_size=60),
       future_b=st.lists(finite, min_size=1, max_size=60),
       steps=st.lists(st.sampled_from([0.0, 60.0, 300.0, 86_400.0]), min_size=210, max_size=210))
def test_changing_future_rows_never_changes_past_scores(past: list[float], future_a: list[float],
                                                        future_b: list[float], steps: list[float]) -> None:
    times = list(np.cumsum(steps))

    def run(values: list[float]) -> list[float]:
        return score_series(list(zip(times, values, strict=False)))

    assert run(past + future_a)[:len(past)] == run(past + future_b)[:len(past)]
    assert run(past)[:len(past)] == run(past + future_a)[:len(past)]


def test_score_one_does_not_change_the_state() -> None:
    points = fixture_points()[:400]
    scorer = StreamingScorer()
    for when, value in points[:-1]:
        scorer.process(when, value)
    when, value = points[-1]
    first = scorer.score_one(when, value)
    scorer.score_one(when + 1, value * 3)
    assert scorer.score_one(when, value) == first


def test_after_an_alarm_the_scorer_is_quiet_for_one_day_of_series_time_not_a_row_count() -> None:
    rng = np.random.default_rng(8)
    hour = 3600.0
    values = list(rng.normal(50.0, 2.0, 1400))
    values[1000] = values[1060] = 200.0  # two spikes 60 hours (60 rows) apart, at an hourly step
    scores = score_series([(hour * index, value) for index, value in enumerate(values)])
    assert scores[1000] > 0.5
    assert max(scores[1001:1024]) == 0.0
    assert scores[1060] == max(scores[1030:])
    assert scores[1060] > max(scores[300:1000])
