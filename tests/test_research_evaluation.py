"""The evaluation tables: the benchmark script prints exactly what the notebook's function returns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import downwatch.research as dr
from downwatch.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def test_the_benchmark_prints_the_notebooks_table_for_the_same_data() -> None:
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "detector_compare.py"), "--small"],
                         capture_output=True, text=True, timeout=300, check=True, cwd=REPO)
    table = dr.format_table(dr.evaluation_table(dr.SMALL_SETUP))
    assert table in run.stdout
    assert "downwatch" in table and "oracle CUSUM" in table and "rolling z-score" in table


def test_the_table_counts_every_outage_and_the_oracle_is_fastest() -> None:
    setup = dr.SMALL_SETUP
    table = dr.evaluation_table(setup).set_index("detector")
    outages = len(setup.history().outages)
    assert outages > 0 and (table["outages"] == outages).all()
    assert (table["detected"] <= outages).all()
    found = table["median_delay_buckets"].dropna()
    assert found["oracle CUSUM"] == found.min()


def test_a_higher_cusum_threshold_never_adds_false_alarms() -> None:
    sweep = dr.threshold_sweep(dr.SMALL_SETUP, "cusum_degraded", [4.0, 11.0, 20.0])
    assert sweep["is_default"].tolist() == [False, True, False]
    rates = sweep["false_alarms_per_service_month"].tolist()
    assert rates[0] >= rates[1] >= rates[2]
    with pytest.raises(InputError, match="not a detector setting"):
        dr.threshold_sweep(dr.SMALL_SETUP, "nonsense", [1.0])


def test_nab_scores_on_synthetic_series_count_their_windows() -> None:
    history = dr.SMALL_SETUP.history()
    scores = dr.nab_table(dr.synthetic_corpus(history)).set_index("profile")
    assert (scores["windows"] == len(history.outages)).all()
    assert (scores["score"] <= 100.0).all()
    assert list(scores.index) == ["standard", "reward_low_FP_rate", "reward_low_FN_rate"]
