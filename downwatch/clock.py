"""Time for the live process: the wall clock in production, a faster replay clock in the demo."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(slots=True)
class ReplayClock:
    """Simulated time that starts at ``start`` and runs ``speed`` times faster than the wall clock."""

    start: datetime
    speed: float
    _origin: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)
