"""Where an accepted report goes: the seam between ``POST /v1/reports`` and what makes it durable.

``api.report_writer.ReportWriter`` (the store, group-committed) in the single process; the NATS
publisher (``downwatch.runtime.bus.publisher.SignalPublisher``) in an API role. ``submit`` answers
whether the report was counted once it is durable, or raises ``StoreUnavailable`` (503).
"""

from __future__ import annotations

from typing import Protocol

from downwatch.records import Signal


class ReportSink(Protocol):
    async def submit(self, signal: Signal) -> bool: ...
