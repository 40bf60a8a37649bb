"""A series through the live detector (``downwatch score``): bucket width, row order, causality."""

from __future__ import annotations

import numpy as np

from detector.stream import bucket_width, score_series

START = 1_700_000_000 - 1_700_000_000 % 86400


def test_the_bucket_width_is_the_largest_divisor_of_a_day_below_the_median_step() -> None:
    assert bucket_width([START + 300 * i + 173 for i in range(50)]) == 300
    assert bucket_width([START + 3600 * i for i in range(50)]) == 3600
    assert bucket_width([START + 7 * i for i in range(50)]) == 6
    assert bucket_width([START] * 5) == 60


def test_every_row_is_scored_once_in_file_order_and_nothing_looks_ahead() -> None:
    rng = np.random.default_rng(3)
    epochs = [float(START + 300 * i) for i in range(600)]
    values = rng.poisson(20, 600).astype(float).tolist()
    epochs[100] = epochs[99]          # a duplicate timestamp
    epochs[200] = epochs[150]         # out of order
    scores = score_series(epochs, values)
    assert len(scores) == 600 and all(0.0 <= s <= 1.0 for s in scores)
    changed = [*values[:400], 500.0, *values[401:]]
    again = score_series(epochs, changed)
    assert again[:400] == scores[:400]
    assert again[400] > scores[400]


def test_negative_values_count_as_nothing() -> None:
    epochs = [float(START + 300 * i) for i in range(400)]
    values = [10.0 + (i % 5) for i in range(400)]
    below = values[:300] + [-50.0] * 100
    zero = values[:300] + [0.0] * 100
    assert score_series(epochs, below) == score_series(epochs, zero)
