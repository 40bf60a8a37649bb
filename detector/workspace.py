"""Scratch arrays and constant arrays for ``Engine.step``, allocated once per number of services.

A bucket of 1,000 services costs about a hundred small numpy operations, so the per-call overhead
dominates: a ufunc with a Python scalar operand costs about twice one with an array operand, and a
fresh result array costs an allocation. The engine therefore writes intermediates into these buffers
(``out=``) and uses full-length constant arrays; every operation stays the same elementwise IEEE
operation on the same operands, so results are bit for bit those of the plain expressions.
"""

from __future__ import annotations

import numpy as np

from detector.scoring import MIN_MEAN, POISSON_BELOW, TAIL_GATE_Z
from detector.settings import DetectorSettings
from detector.state import HOURS, WEEKDAYS


class Constants:
    """Every scalar the step combines with a per-service array, as a full-length array."""

    def __init__(self, n: int, settings: DetectorSettings, rates: tuple[float, float, float, float],
                 cusum_min_shift: float) -> None:
        def full(value: float) -> np.ndarray:
            return np.full(n, float(value))

        level, hod, dow, dispersion = rates
        self.zero, self.half, self.one = full(0.0), full(0.5), full(1.0)
        self.hours, self.weekdays = full(HOURS), full(WEEKDAYS)
        self.min_mean, self.tiny_denominator = full(MIN_MEAN), full(1e-12)
        self.poisson_below = full(POISSON_BELOW)
        self.max_dispersion = full(settings.max_dispersion)
        self.minus_gate = full(-TAIL_GATE_Z)
        self.cusum_ratio, self.cusum_min_shift = full(settings.cusum_ratio), full(cusum_min_shift)
        self.level_rate, self.hod_rate, self.dow_rate = full(level), full(hod), full(dow)
        self.dispersion_rate = full(dispersion)
        self.learning_rates = np.stack([self.dispersion_rate, self.dispersion_rate, self.level_rate,
                                        self.level_rate, self.hod_rate, self.dow_rate])
        """The constant rates in the row order of ``LEARNED`` (for a baseline past its youth)."""


LEARNED = ("disp_num", "disp_den", "post_share", "level", "hod", "dow")
"""The baseline quantities that move towards a target each bucket, as rows of ``Scratch.values``."""


class Scratch:
    """Float and boolean buffers one step reuses; nothing in here outlives the step that wrote it."""

    def __init__(self, n: int) -> None:
        self.daily, self.weekly, self.expected = np.empty(n), np.empty(n), np.empty(n)
        self.ratio, self.variance, self.deviation = np.empty(n), np.empty(n), np.empty(n)
        self.risen, self.excess, self.size, self.size_mu = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        self.numerator, self.denominator, self.term = np.empty(n), np.empty(n), np.empty(n)
        self.keep, self.learn = np.empty(n), np.empty(n)
        rows = len(LEARNED)
        self.values, self.targets, self.rates = np.empty((rows, n)), np.empty((rows, n)), np.empty((rows, n))
        self.divisors = np.empty((3, n))
        self.started, self.in_run = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
        self.flag, self.calm, self.other = (np.empty(n, dtype=bool), np.empty(n, dtype=bool),
                                            np.empty(n, dtype=bool))


class Workspace:
    def __init__(self, n: int, settings: DetectorSettings, rates: tuple[float, float, float, float],
                 cusum_min_shift: float) -> None:
        self.size = n
        self.constants = Constants(n, settings, rates, cusum_min_shift)
        self.scratch = Scratch(n)
