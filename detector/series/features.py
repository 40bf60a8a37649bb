"""Causal views of a series: each turns the rows seen so far into one feature of the newest row."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque

DAY_SECONDS = 86_400.0


class RecentValues:
    """The last ``size`` values, for short rolling means and roughness."""

    __slots__ = ("_values",)

    def __init__(self, size: int) -> None:
        self._values: deque[float] = deque(maxlen=size)

    def __len__(self) -> int:
        return len(self._values)

    def append(self, value: float) -> None:
        self._values.append(value)

    def mean_with(self, value: float, rows: int) -> float:
        """Mean of ``value`` and the ``rows - 1`` values before it (fewer at the start)."""
        taken = min(rows - 1, len(self._values))
        total = value
        for index in range(1, taken + 1):
            total += self._values[-index]
        return total / (taken + 1)

    def roughness_with(self, value: float, rows: int) -> float:
        """Mean absolute step between successive values over the last ``rows`` steps ending at ``value``."""
        taken = min(rows, len(self._values))
        if taken == 0:
            return 0.0
        total = abs(value - self._values[-1])
        for index in range(1, taken):
            total += abs(self._values[-index] - self._values[-index - 1])
        return total / taken

    def last(self) -> float | None:
        return self._values[-1] if self._values else None


class SeasonalMemory:
    """Values of the last day and a bit, by time, to look up "the same time yesterday"."""

    __slots__ = ("_start", "_times", "_values")

    def __init__(self) -> None:
        self._times: list[float] = []
        self._values: list[float] = []
        self._start = 0

    def append(self, when: float, value: float) -> None:
        self._times.append(when)
        self._values.append(value)
        horizon = when - 1.5 * DAY_SECONDS
        if self._start > 4096 and self._times[self._start] < horizon:
            del self._times[:self._start]
            del self._values[:self._start]
            self._start = 0
        while self._start < len(self._times) and self._times[self._start] < horizon:
            self._start += 1

    def at(self, when: float, tolerance: float) -> float | None:
        """The value recorded closest before or at ``when``, if within ``tolerance`` seconds."""
        index = bisect_right(self._times, when, lo=self._start) - 1
        if index < self._start:
            return None
        if when - self._times[index] > tolerance or math.isnan(self._values[index]):
            return None
        return self._values[index]
