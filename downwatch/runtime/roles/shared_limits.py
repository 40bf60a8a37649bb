"""Per-client report limits shared by every process under NATS: a flood on one is limited on all.

Each process keeps, besides its own ``ReportLimiter``, a fleet-wide token bucket per client. Every
report it grants is counted; five times a second it publishes its counts (core NATS, subject
``downwatch.ratelimit``: ``{"from": process, "usage": {client_hash: n}}``; client hashes only, never
addresses) and debits the other processes' counts from its fleet buckets. A client that used its
minute's budget anywhere is answered 429 everywhere within a fifth of a second. Client tokens issued
per network travel in the same messages (``"tokens": {network_hash: n}``), so a network's hourly share
of tokens is one share for the whole fleet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable

import orjson
from aiohttp import web
from nats.aio.msg import Msg

from api.background import running
from api.client_tokens import CLIENT_TOKENS
from api.keys import REPORT_LIMITER, SETTINGS
from api.ratelimit import KeyedBuckets, ReportLimiter
from downwatch.runtime.bus.connection import Bus

log = logging.getLogger(__name__)

SUBJECT = "downwatch.ratelimit"
SHARE_EVERY_SECONDS = 0.2


class SharedReportLimiter(ReportLimiter):
    def __init__(self, per_client_per_minute: int, global_per_second: int,
                 clock: Callable[[], float] = time.monotonic, *,
                 per_network_per_minute: int | None = None) -> None:
        super().__init__(per_client_per_minute, global_per_second, clock,
                         per_network_per_minute=per_network_per_minute)
        self._now = clock
        self._fleet = KeyedBuckets(per_client_per_minute, clock)
        self.granted: Counter[str] = Counter()
        self.origin = secrets.token_hex(6)

    def check(self, client: str, network: str | None = None) -> tuple[int, str]:
        now = self._now()
        fleet = self._fleet.bucket(client, now)
        wait = fleet.take(now)
        if wait:
            return max(1, math.ceil(wait)), "client"
        retry, which = super().check(client, network)
        if retry:
            fleet.tokens += 1.0
            return retry, which
        self.granted[client] += 1
        return 0, ""

    def absorb(self, usage: dict[str, int]) -> None:
        """Debit what other processes granted (a bucket may go into debt, down to one burst)."""
        self._fleet.debit(usage)

    def take_granted(self) -> dict[str, int]:
        granted, self.granted = dict(self.granted), Counter()
        return granted


def shared_limits_context(bus: Bus) -> Callable[[web.Application], AsyncIterator[None]]:
    """Replace the app's limiter by a shared one and keep it in step with the other processes."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        per_network = settings.network_rate_per_minute()
        limiter = SharedReportLimiter(settings.report_rate_per_minute, settings.report_global_rate_per_second,
                                      per_network_per_minute=per_network)
        app[REPORT_LIMITER] = limiter
        tokens = app.get(CLIENT_TOKENS)
        if tokens is not None:
            tokens.share()

        async def on_usage(msg: Msg) -> None:
            try:
                doc = orjson.loads(msg.data)
                if doc.get("from") == limiter.origin:
                    return
                if isinstance(doc.get("usage"), dict):
                    limiter.absorb({str(k): int(v) for k, v in doc["usage"].items()})
                if tokens is not None and isinstance(doc.get("tokens"), dict):
                    tokens.absorb({str(k): int(v) for k, v in doc["tokens"].items()})
            except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
                log.debug("ignoring a malformed rate-limit message")

        async def share() -> None:
            while True:
                await asyncio.sleep(SHARE_EVERY_SECONDS)
                granted = limiter.take_granted()
                issued = tokens.take_issued() if tokens is not None else {}
                if (granted or issued) and bus.nc.is_connected:
                    with contextlib.suppress(Exception):
                        message = {"from": limiter.origin, "usage": granted, "tokens": issued}
                        await bus.nc.publish(SUBJECT, orjson.dumps(message))

        subscription = await bus.nc.subscribe(SUBJECT, cb=on_usage)
        try:
            async with running(share(), "shared-rate-limits"):
                yield
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    return context
