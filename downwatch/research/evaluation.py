"""Honest evaluation tables, computed by one function each so the notebooks and ``benchmarks/`` agree.

* ``evaluation_table``: downwatch against simple baselines (fixed threshold, rolling z-score) and the
  oracle CUSUM on synthetic histories with known onsets: detected share, median delay, false alarms
  per service-month (``detector.evaluation`` does the counting).
* ``threshold_sweep``: the same measures as one detector setting moves (the tuning trade-off).
* ``format_table``: the one text rendering both the benchmark script and the notebook print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detector.evaluation import (
    Evaluation,
    alarms_from_incidents,
    evaluate,
    fixed_threshold_alarms,
    oracle_cusum,
    rolling_zscore_alarms,
)
from detector.frame import ReplayInput
from detector.settings import DetectorSettings, detector_settings
from detector.synthetic import SyntheticHistory, SyntheticWorld
from downwatch.errors import InputError
from downwatch.research.replay import replay_prepared

TABLE_COLUMNS = ("detector", "detected", "outages", "median_delay_buckets", "delay_vs_oracle",
                 "false_alarms", "false_alarms_per_service_month")


@dataclass(frozen=True, slots=True)
class SyntheticSetup:
    """Which synthetic world to evaluate on; ``quiet_days`` are outage-free and not scored."""

    services: int = 40
    days: int = 45
    seed: int = 1
    quiet_days: int = 7
    outages_per_month: float = 2.0
    floods_per_month: float = 0.5

    def history(self) -> SyntheticHistory:
        if self.days <= self.quiet_days:
            raise InputError(f"days ({self.days}) must exceed quiet_days ({self.quiet_days})")
        if self.services < 1:
            raise InputError("services must be at least 1")
        world = SyntheticWorld(services=self.services, days=self.days, seed=self.seed,
                               outages_per_month=self.outages_per_month,
                               floods_per_month=self.floods_per_month, quiet_days=self.quiet_days)
        return world.history()


SMALL_SETUP = SyntheticSetup(services=6, days=5, seed=3, quiet_days=2, outages_per_month=20.0,
                             floods_per_month=5.0)
"""A few seconds of work: what the notebooks use in small-data mode and the tests compare."""


def history_input(history: SyntheticHistory) -> ReplayInput:
    """A synthetic history as the detector's replay arrays (report and post volumes, reporters)."""
    evidence = pd.DataFrame(columns=["service", "bucket", "what", "name", "amount"])
    return ReplayInput(services=history.names, buckets=history.buckets, reports=history.reports,
                       posts=history.posts, reporters=history.reporters, probe_failed=None,
                       probe_checks=None, official=None, alive=None, evidence=evidence)


def downwatch_evaluation(history: SyntheticHistory, warmup_days: float, *, progress: bool | None = None,
                         **settings: Any) -> Evaluation:
    chosen = detector_settings(bucket_seconds=history.bucket_seconds, **settings)
    result = replay_prepared(history_input(history), chosen, progress=progress, keep_timeline=False)
    return evaluate("downwatch", alarms_from_incidents(result.incidents, history), history,
                    warmup_days=warmup_days)


def _median(values: np.ndarray) -> float:
    found = values[~np.isnan(values)]
    return float(np.median(found)) if found.size else math.nan


def _row(evaluation: Evaluation, oracle: np.ndarray) -> dict[str, Any]:
    delays = np.array(evaluation.delays, dtype=float)
    both = ~np.isnan(delays) & ~np.isnan(oracle)
    ratio = _median(delays[both]) / _median(oracle[both]) if both.any() else math.nan
    return {"detector": evaluation.name, "detected": evaluation.detected, "outages": evaluation.outages,
            "median_delay_buckets": evaluation.median_delay, "delay_vs_oracle": ratio,
            "false_alarms": evaluation.false_alarms,
            "false_alarms_per_service_month": evaluation.false_alarms_per_service_month}


def evaluation_table(setup: SyntheticSetup = SMALL_SETUP, *, progress: bool | None = None,
                     **settings: Any) -> pd.DataFrame:
    """downwatch (with ``settings``), fixed threshold, rolling z-score and the oracle CUSUM, one row each.

    Delays are in buckets from the onset (1 = caught in the onset bucket), medians over the outages a
    detector caught; ``delay_vs_oracle`` is its median delay over the oracle's on the outages both
    caught. False alarms are counted after the quiet days, per service per 30 days; the oracle starts
    at each onset, so it has none by construction (NaN).
    """
    history = setup.history()
    warmup = float(setup.quiet_days)
    oracle = oracle_cusum(history)
    evaluations = [
        downwatch_evaluation(history, warmup, progress=progress, **settings),
        evaluate("fixed threshold", fixed_threshold_alarms(history, training_days=setup.quiet_days),
                 history, warmup_days=warmup),
        evaluate("rolling z-score", rolling_zscore_alarms(history), history, warmup_days=warmup),
    ]
    rows = [_row(e, oracle) for e in evaluations]
    found = int((~np.isnan(oracle)).sum())
    rows.append({"detector": "oracle CUSUM", "detected": found, "outages": len(oracle),
                 "median_delay_buckets": _median(oracle), "delay_vs_oracle": 1.0 if found else math.nan,
                 "false_alarms": math.nan, "false_alarms_per_service_month": math.nan})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def threshold_sweep(setup: SyntheticSetup, setting: str, values: Sequence[float], *,
                    progress: bool | None = None, **fixed: Any) -> pd.DataFrame:
    """Detected share, median delay and false alarms per service-month as ``setting`` takes each value.

    ``is_default`` marks the row whose value is the detector's default.
    """
    default = getattr(DetectorSettings(), setting, None)
    if default is None:
        raise InputError(f"{setting!r} is not a detector setting")
    history = setup.history()
    rows = []
    for value in values:
        e = downwatch_evaluation(history, float(setup.quiet_days), progress=progress,
                                 **{**fixed, setting: value})
        rows.append({setting: value, "detected": e.detected, "outages": e.outages,
                     "median_delay_buckets": e.median_delay,
                     "false_alarms_per_service_month": e.false_alarms_per_service_month,
                     "is_default": bool(math.isclose(float(value), float(default)))})
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame) -> str:
    """The table as printed by ``benchmarks/detector_compare.py`` (and shown by the notebook)."""
    return str(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))
