"""Publishing signals to the SIGNALS stream, answered only once JetStream has acknowledged them.

``SignalPublisher.submit(signal)`` is the report sink of an API process under NATS (the same
``submit`` the in-process ``api.report_writer.ReportWriter`` has): it returns whether the report was
counted — JetStream de-duplicates on the message id (the report's id, derived from client × service
× window) over the report window, so a retry after a lost answer is acknowledged as a duplicate and
counted once. A user's report also carries claims (its identity in the service's window, a token
slot): ``downwatch.runtime.bus.claims`` decides them across every API process before the publish, and
the decision travels in the signal; a report whose publish fails gives back the claims it created.
No acknowledgement within ``nats_ack_timeout_seconds`` (NATS down or restarting): 503 with
``Retry-After: 2``, never a hang.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from downwatch.errors import StoreUnavailable
from downwatch.records import Signal
from downwatch.runtime.bus.ack_mux import AckMux, PublishFailed
from downwatch.runtime.bus.claims import ClaimBook, Taken
from downwatch.runtime.bus.codec import encode_signal
from downwatch.runtime.bus.connection import Bus
from downwatch.runtime.bus.names import CLAIMS_BUCKET, MSG_ID_HEADER, STREAM, message_id, subject_of
from downwatch.store.count_claims import claims_of

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "2"
EXPECTED_STREAM = "Nats-Expected-Stream"


class SignalPublisher:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._acks = AckMux(bus.nc)
        self._partitions = bus.settings.nats_partitions
        self._timeout = bus.settings.nats_ack_timeout_seconds
        self.published = 0
        self.duplicates = 0
        self.failures = 0
        self._claims: ClaimBook | None = None

    async def start(self) -> None:
        await self._acks.start()
        self._claims = ClaimBook(self._acks, await self._bus.js.key_value(CLAIMS_BUCKET), self._timeout)

    async def submit(self, signal: Signal) -> bool:
        """Publish one signal; True when it is new and counts, False for a duplicate (a retry) or a
        report whose identity was already counted in its window."""
        if not self._bus.nc.is_connected:
            self.failures += 1
            raise _unavailable()
        counted = True
        taken: Taken = []
        evidence = None
        try:
            claims = claims_of(signal)
            if claims is not None and self._claims is not None:
                if self._claims.pending:
                    await self._claims.release_pending()
                counted = await self._claims.decide(claims, signal.external_id, taken)
                evidence = {**signal.evidence, "claims": {**claims, "counted": counted}}
            ack = await self._acks.publish(
                subject_of(signal.service, self._partitions), encode_signal(signal, evidence),
                {MSG_ID_HEADER: message_id(signal.source, signal.external_id), EXPECTED_STREAM: STREAM},
                self._timeout)
        except PublishFailed as exc:
            self.failures += 1
            log.debug("publishing a signal failed: %s", exc)
            if taken and self._claims is not None:  # not published: a later report may count instead
                await self._claims.release(taken, connected=self._bus.nc.is_connected)
            raise _unavailable() from None
        if ack.get("duplicate"):
            self.duplicates += 1
            return False
        self.published += 1
        return counted

    async def submit_all(self, signals: Sequence[Signal]) -> int:
        """Publish many signals concurrently; return how many count. Any failure raises (nothing
        may be assumed stored then; publishing them again is safe)."""
        results = await asyncio.gather(*(self.submit(signal) for signal in signals))
        return sum(results)


def _unavailable() -> StoreUnavailable:
    return StoreUnavailable("the report could not be queued (NATS did not acknowledge it); try again shortly",
                            headers={"Retry-After": RETRY_AFTER_SECONDS})
