"""A causal empirical distribution of past feature values, and how surprising a new value is under it."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import deque


class LaggedReference:
    """The last ``size`` feature values, excluding the most recent ``lag`` ones.

    The lag keeps a sustained change out of its own reference for ``lag`` rows, so an outage that
    lasts is not explained away by itself as soon as it starts.
    """

    __slots__ = ("_lag", "_pending", "_size", "_sorted", "_window")

    def __init__(self, size: int, lag: int) -> None:
        self._size = size
        self._lag = lag
        self._pending: deque[float] = deque()
        self._window: deque[float] = deque()
        self._sorted: list[float] = []

    def __len__(self) -> int:
        return len(self._sorted)

    def learn(self, value: float) -> None:
        self._pending.append(value)
        if len(self._pending) <= self._lag:
            return
        admitted = self._pending.popleft()
        self._window.append(admitted)
        insort(self._sorted, admitted)
        if len(self._window) > self._size:
            expired = self._window.popleft()
            del self._sorted[bisect_left(self._sorted, expired)]

    def surprise(self, value: float) -> tuple[float, float]:
        """(upper, lower) surprise in nats: -ln of the empirical tail probability on each side.

        Beyond the largest (smallest) value seen, the surprise keeps growing with the distance in
        units of the reference's inter-decile spread, so unprecedented extremes are ordered too.
        """
        ordered = self._sorted
        count = len(ordered)
        if count == 0:
            return 0.0, 0.0
        at_or_above = count - bisect_left(ordered, value)
        at_or_below = bisect_right(ordered, value)
        upper = math.log((count + 1) / (at_or_above + 1))
        lower = math.log((count + 1) / (at_or_below + 1))
        if value > ordered[-1] or value < ordered[0]:
            spread = ordered[(9 * count) // 10] - ordered[count // 10]
            floor = 1e-9 * max(abs(ordered[count // 2]), 1.0)
            spread = max(spread, floor)
            if value > ordered[-1]:
                upper += min((value - ordered[-1]) / spread, 50.0)
            else:
                lower += min((ordered[0] - value) / spread, 50.0)
        return upper, lower
