"""Token buckets: one per identity, one per network and one for all clients together.

An identity is a network (IPv4 /24, IPv6 /64) or a client token bound to one
(``api.client_identity``); the User-Agent is never part of a key, so rotating it escapes nothing.
Tokens on one network share that network's bucket, so minting tokens does not raise its rate.
"""

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

    def give_back(self) -> None:
        self.tokens = min(self.burst, self.tokens + 1.0)

    def full_at(self) -> float:
        return self.updated + (self.burst - self.tokens) / self.rate


class KeyedBuckets:
    """One token bucket per key (``limit`` per ``per_seconds``), created full, idle (full) ones swept
    when there are many."""

    def __init__(self, limit: int, clock: Callable[[], float], *, per_seconds: float = 60.0) -> None:
        self._rate = limit / per_seconds
        self._burst = float(limit)
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= IDLE_SWEEP_THRESHOLD:
                self._buckets = {k: b for k, b in self._buckets.items() if b.full_at() > now}
            bucket = self._buckets[key] = TokenBucket(self._rate, self._burst, now)
        return bucket

    def debit(self, used: dict[str, int]) -> None:
        """Debit what other processes granted these keys (a bucket may go into debt, down to one burst)."""
        now = self._clock()
        for key, n in used.items():
            bucket = self.bucket(key, now)
            bucket.take(now)  # brings the bucket up to date (and takes one of the n)
            bucket.tokens = max(-self._burst, bucket.tokens - (n - 1))


class ReportLimiter:
    """``check(identity, network)`` is (0, "") when the request may go ahead, else the Retry-After in
    whole seconds and which limit refused it ("client", "network" or "global")."""

    def __init__(self, per_client_per_minute: int, global_per_second: int,
                 clock: Callable[[], float] = time.monotonic, *,
                 per_network_per_minute: int | None = None) -> None:
        self._clock = clock
        self._clients = KeyedBuckets(per_client_per_minute, clock)
        self._networks = (KeyedBuckets(per_network_per_minute, clock)
                          if per_network_per_minute is not None else None)
        self._global = TokenBucket(float(global_per_second), float(global_per_second), clock())

    def check(self, client: str, network: str | None = None) -> tuple[int, str]:
        now = self._clock()
        taken: list[TokenBucket] = []
        limits: list[tuple[str, TokenBucket]] = [("client", self._clients.bucket(client, now))]
        if network is not None and self._networks is not None:
            limits.append(("network", self._networks.bucket(network, now)))
        limits.append(("global", self._global))
        for which, bucket in limits:
            wait = bucket.take(now)
            if wait:
                for granted in taken:
                    granted.give_back()
                return max(1, math.ceil(wait)), which
            taken.append(bucket)
        return 0, ""
