"""The score's tail: exact wherever a decision reads it, the normal approximation only far from any."""

from __future__ import annotations

import numpy as np
from scipy import special

from detector.scoring import TAIL_GATE_Z, exact_upper_tail, upper_tail
from detector.settings import DetectorSettings


def grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    mu = np.exp(rng.uniform(np.log(0.01), np.log(500.0), 20_000))
    var = mu + rng.choice([0.0, 0.05, 0.25, 1.0], mu.size) * mu * mu
    x = np.maximum(0.0, np.round(mu + rng.normal(0.0, 4.0, mu.size) * np.sqrt(var)))
    return x, mu, var


def test_every_tail_a_threshold_can_read_is_the_exact_one() -> None:
    x, mu, var = grid()
    shown = upper_tail(x, mu, var)
    exact = exact_upper_tail(x, mu, var)
    calm = special.ndtr(-TAIL_GATE_Z)
    near_a_threshold = (shown <= calm) | (exact <= calm)
    assert near_a_threshold.sum() > 1000
    np.testing.assert_allclose(shown[near_a_threshold], exact[near_a_threshold], rtol=1e-9)


def test_the_normal_approximation_stays_below_every_score_threshold() -> None:
    settings = DetectorSettings()
    lowest = min(settings.recover_score, settings.learn_below_score, settings.score_degraded)
    assert 1.0 - special.ndtr(-TAIL_GATE_Z) < lowest
