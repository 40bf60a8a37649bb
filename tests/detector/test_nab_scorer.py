"""The NAB scorer against the test vector of NAB's SCORING.md and the properties NAB guarantees."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.nab import (
    REWARD_LOW_FN,
    REWARD_LOW_FP,
    STANDARD,
    FileScore,
    LabelledFile,
    label_file,
    optimise,
    probationary_rows,
    scaled_sigmoid,
    score_file,
    sweep,
)

START = datetime(2024, 1, 1)


def stamps(n: int) -> list[datetime]:
    return [START + timedelta(minutes=5 * i) for i in range(n)]


def vector_file() -> tuple[LabelledFile, np.ndarray]:
    """SCORING.md's test vector: 20 rows, one window on rows 10..14."""
    times = stamps(20)
    labelled = label_file(times, [(times[10], times[14])])
    scores = np.zeros(20)
    for row, value in {1: 0.9, 5: 0.8, 12: 0.7, 13: 0.95, 16: 0.6, 19: 0.3}.items():
        scores[row] = value
    return labelled, scores


def test_scaled_sigmoid_matches_the_specification() -> None:
    values = scaled_sigmoid(np.array([-1.0, -0.5, 0.0, 1.0, 3.0, 3.0001]))
    assert values == pytest.approx([0.986614298151, 0.848283639958, 0.0, -0.986614298151, -0.99999939, -1.0],
                                   abs=1e-8)


def test_probation_is_fifteen_percent_capped_at_750_rows() -> None:
    assert probationary_rows(20) == 3
    assert probationary_rows(4032) == 604
    assert probationary_rows(15902) == 750


def test_row_sweep_scores_match_the_vector() -> None:
    labelled, _ = vector_file()
    assert labelled.probation == 3
    sigma = np.where(labelled.window_of_row >= 0, STANDARD.tp_weight * labelled.tp_unit,
                     STANDARD.fp_weight * labelled.fp_unit)
    expected = ([-0.11] * 7 + [1.0, 0.977107, 0.917429, 0.771927, 0.468387]
                + [-0.061006, -0.093311, -0.104945, -0.108528, -0.109576])
    assert sigma == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("profile", "threshold", "expected"), [
    (STANDARD, 0.5, FileScore(0.714117, tp=2, tn=10, fp=2, fn=3)),
    (STANDARD, 0.65, FileScore(0.807429, tp=2, tn=11, fp=1, fn=3)),
    (STANDARD, 0.75, FileScore(0.661927, tp=1, tn=11, fp=1, fn=4)),
    (STANDARD, 0.96, FileScore(-1.0, tp=0, tn=12, fp=0, fn=5)),
    (REWARD_LOW_FP, 0.5, FileScore(0.510806, tp=2, tn=10, fp=2, fn=3)),
    (REWARD_LOW_FN, 0.96, FileScore(-2.0, tp=0, tn=12, fp=0, fn=5)),
])
def test_file_scores_match_the_vector(profile, threshold, expected) -> None:  # type: ignore[no-untyped-def]
    labelled, scores = vector_file()
    result = score_file(labelled, scores, profile, threshold)
    assert round(result.score, 6) == pytest.approx(expected.score, abs=1e-9)
    assert (result.tp, result.tn, result.fp, result.fn, result.count) == (
        expected.tp, expected.tn, expected.fp, expected.fn, 17)


def test_sweep_agrees_with_direct_scoring_at_every_candidate() -> None:
    labelled, scores = vector_file()
    thresholds, raws = sweep([(labelled, scores)], STANDARD)
    assert thresholds[0] == 1.1 and raws[0] == -1.0
    for threshold, raw in zip(thresholds, raws, strict=True):
        assert raw == pytest.approx(score_file(labelled, scores, STANDARD, threshold).score, abs=1e-12)
    best = optimise([(labelled, scores)], STANDARD)
    # rows 12 and 13 catch the window at row 12, row 5 costs the full -0.11
    assert best.threshold == 0.7 and best.raw == pytest.approx(0.917429 - 0.11, abs=1e-6)


def test_optimum_on_the_vector_normalises_against_null_and_perfect() -> None:
    labelled, scores = vector_file()
    best = optimise([(labelled, scores)], STANDARD)
    assert best.normalized == pytest.approx(100 * (best.raw + 1) / 2)


def two_window_file() -> tuple[list[datetime], LabelledFile]:
    times = stamps(400)
    return times, label_file(times, [(times[100], times[139]), (times[250], times[289])])


def test_perfect_detector_scores_100_and_null_scores_0_in_every_profile() -> None:
    _, labelled = two_window_file()
    perfect = np.zeros(400)
    perfect[[100, 250]] = 1.0
    null = np.full(400, 0.5)
    for profile in (STANDARD, REWARD_LOW_FP, REWARD_LOW_FN):
        assert optimise([(labelled, perfect)], profile).normalized == pytest.approx(100.0)
        result = optimise([(labelled, null)], profile)
        assert result.normalized == pytest.approx(0.0)
        assert result.threshold == 1.1


def test_ties_go_to_the_highest_threshold() -> None:
    _, labelled = two_window_file()
    scores = np.zeros(400)
    scores[100] = 0.9
    scores[250] = 0.9
    scores[101] = 0.8
    best = optimise([(labelled, scores)], STANDARD)
    assert best.threshold == 0.9


def test_only_the_earliest_flag_of_a_window_counts_and_later_flags_cost_nothing() -> None:
    _, labelled = two_window_file()
    early = np.zeros(400)
    early[100] = 1.0
    both = early.copy()
    both[101:140] = 1.0
    assert (score_file(labelled, early, STANDARD, 0.5).score
            == pytest.approx(score_file(labelled, both, STANDARD, 0.5).score))


def test_windows_are_found_by_first_occurrence_of_their_timestamp() -> None:
    times = stamps(100)
    times[60] = times[20]  # a duplicate timestamp later in the file
    labelled = label_file(times, [(times[20], times[29])])
    assert labelled.probation == 15
    assert np.flatnonzero(labelled.window_of_row >= 0)[0] + labelled.probation == 20


def test_a_window_boundary_that_is_not_a_row_is_refused() -> None:
    times = stamps(50)
    with pytest.raises(ValueError, match="not a timestamp"):
        label_file(times, [(times[10], START - timedelta(days=1))])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]), min_size=400, max_size=400))
def test_sweep_equals_direct_scoring_for_any_scores(values: list[float]) -> None:
    _, labelled = two_window_file()
    thresholds, raws = sweep([(labelled, values)], REWARD_LOW_FN)
    for threshold, raw in zip(thresholds, raws, strict=True):
        assert raw == pytest.approx(score_file(labelled, values, REWARD_LOW_FN, threshold).score, abs=1e-9)
    assert float(np.max(raws)) == pytest.approx(optimise([(labelled, values)], REWARD_LOW_FN).raw)
