"""A sustained rise alone (CUSUM, no single surprising bucket) must be significant over its whole run
and, while the service is young, as large as the rise the CUSUM is designed for (``cusum_ratio``): on a
young service whose afternoon level is still uncertain, twice the usual volume is not an outage."""

from __future__ import annotations

import numpy as np
import pytest

from detector.settings import detector_settings
from downwatch.errors import InputError
from tests.detector.scenario import Feed, normal_rate
from tests.detector.test_detector_scenarios import warmed


def afternoon_rise(ratio: float, **settings: float) -> list[str]:
    """Three days of history, then two hours at ``ratio`` times the usual afternoon count, then one calm."""
    feed: Feed = warmed(3, **settings)
    feed.normal(14 * 60)
    rng = np.random.default_rng(11)
    statuses = [feed.bucket(float(rng.poisson(ratio * normal_rate(feed.minute)))) for _ in range(120)]
    return statuses + feed.normal(60)


def test_a_doubled_afternoon_on_a_young_service_stays_up() -> None:
    assert set(afternoon_rise(2.2)) == {"up"}


def test_the_same_rise_alarms_when_the_cusum_is_designed_for_a_doubling() -> None:
    assert "degraded" in afternoon_rise(2.2, cusum_ratio=2.0)


def test_a_doubling_the_cusum_is_designed_for_still_needs_a_significant_run() -> None:
    assert set(afternoon_rise(2.2, cusum_ratio=2.0, run_significance=1e-12)) == {"up"}


def test_a_large_sustained_rise_still_alarms_on_a_young_service() -> None:
    statuses = afternoon_rise(6.0)
    assert "down" in statuses
    assert statuses[-1] == "up"


def test_a_run_significance_outside_zero_to_one_is_an_input_error() -> None:
    with pytest.raises(InputError, match="run_significance"):
        detector_settings(run_significance=1.0)
