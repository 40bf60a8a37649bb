"""The per-service arrays one bucket passes between its compiled passes and the special functions.

Allocated once per number of services and reused bucket after bucket; nothing in here outlives the
step that wrote it (the step's outputs are fresh arrays).
"""

from __future__ import annotations

import numpy as np


class Workspace:
    def __init__(self, n: int) -> None:
        self.size = n
        self.daily, self.weekly, self.expected = np.empty(n), np.empty(n), np.empty(n)
        """The seasonal factors and expected count (before the MIN_MEAN floor) of each service."""
        self.variance, self.negative_z = np.empty(n), np.empty(n)
        """Negative-binomial variance, and (mu - (x - 0.5)) / sqrt(variance), exactly -z."""
        self.size_parameter, self.log_slope, self.log_shrink = np.empty(n), np.empty(n), np.empty(n)
        """The CUSUM increment's terms (``passes.before_tails``); the logs are taken in place."""
