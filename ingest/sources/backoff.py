"""How long to wait after a failed fetch: exponential with jitter, capped, and never less than
what the upstream asked for with ``Retry-After``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP-date); None if absent
    or unreadable. A date in the past means "now" (0 seconds)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN is unreadable
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before retry number ``attempt`` (1 for the first retry).

    The exponential part is ``base * factor ** (attempt - 1)``, at most ``cap``, of which a random
    half to all is used.
    A ``Retry-After`` is honoured as a floor (itself capped by ``retry_after_cap``) plus up to
    ``jitter_fraction`` of it, so many clients told the same instant don't all return together.
    """

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    retry_after_cap: float = 3600.0
    jitter_fraction: float = 0.1

    def delay(self, attempt: int, retry_after: float | None = None,
              rng: random.Random | None = None) -> float:
        draw = (rng or random).random
        exponential = min(self.cap, self.base * self.factor ** max(attempt - 1, 0))
        jittered = exponential * (0.5 + 0.5 * draw())
        if retry_after is None:
            return jittered
        floor = min(retry_after, self.retry_after_cap)
        return floor + floor * self.jitter_fraction * draw() if floor > 0 else jittered
