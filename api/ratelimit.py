"""Token buckets: one per client and one for all clients together."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

IDLE_SWEEP_THRESHOLD = 100_000


class TokenBucket:
    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.updated = rate, burst, burst, now

    def take(self, now: float) -> float:
        """Take one token; return 0 when granted, else the seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def full_at(self) -> float:
        return self.updated + (self.burst - self.tokens) / self.rate


class ReportLimiter:
    """``check(client)`` is 0 when the report may go ahead, else the Retry-After in whole seconds."""

    def __init__(self, per_client_per_minute: int, global_per_second: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._client_rate = per_client_per_minute / 60.0
        self._client_burst = float(per_client_per_minute)
        self._global = TokenBucket(float(global_per_second), float(global_per_second), clock())
        self._clients: dict[str, TokenBucket] = {}

    def check(self, client: str) -> tuple[int, str]:
        """(retry_after_seconds, which limit): (0, "") when granted."""
        now = self._clock()
        bucket = self._clients.get(client)
        if bucket is None:
            if len(self._clients) >= IDLE_SWEEP_THRESHOLD:
                self._sweep(now)
            bucket = self._clients[client] = TokenBucket(self._client_rate, self._client_burst, now)
        wait = bucket.take(now)
        if wait:
            return max(1, math.ceil(wait)), "client"
        wait = self._global.take(now)
        if wait:
            bucket.tokens += 1.0
            return max(1, math.ceil(wait)), "global"
        return 0, ""

    def _sweep(self, now: float) -> None:
        self._clients = {client: bucket for client, bucket in self._clients.items()
                         if bucket.full_at() > now}
