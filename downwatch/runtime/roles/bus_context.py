"""The NATS connection of a role process, as the app's report sink: connected first, closed last.

It puts the connection in ``app[BUS]`` and a ``SignalPublisher`` in ``app[REPORT_WRITER]`` (so
``POST /v1/reports`` answers 202 only after JetStream's acknowledgement, in every role), shares the
per-client report limits with the other processes (``shared_limits``), and adds the ``nats`` health
check and gauges.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from api.keys import HEALTH_CHECKS, METRICS, REPORT_WRITER, SETTINGS
from api.metrics import Gauge
from downwatch.runtime.bus.connection import Bus, connect
from downwatch.runtime.bus.publisher import SignalPublisher
from downwatch.runtime.roles.shared_limits import shared_limits_context
from downwatch.runtime.wiring import CleanupContext

BUS = web.AppKey("bus", Bus)
PUBLISHER = web.AppKey("publisher", SignalPublisher)


def bus_context(role: str) -> CleanupContext:
    async def context(app: web.Application) -> AsyncIterator[None]:
        bus = await connect(app[SETTINGS], name=f"downwatch-{role}")
        app[BUS] = bus
        publisher = app[PUBLISHER] = SignalPublisher(bus)
        await publisher.start()
        app[REPORT_WRITER] = publisher
        app[HEALTH_CHECKS].add("nats", bus.health.check)
        app[METRICS].add_gauge(Gauge("downwatch_nats", "The NATS connection: up, disconnects, reconnects.",
                                     ("counter",), bus.health.metrics))
        app[METRICS].add_gauge(Gauge(
            "downwatch_nats_published", "Signals this process published to JetStream, by outcome.",
            ("outcome",), lambda: {("stored",): publisher.published, ("duplicate",): publisher.duplicates,
                                   ("failed",): publisher.failures}))
        try:
            async for _ in shared_limits_context(bus)(app):
                yield
        finally:
            await bus.close()

    return context
