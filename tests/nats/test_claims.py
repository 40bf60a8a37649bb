"""The claims of a report, against a real nats-server: given back with the revision they were taken at,
so a late release never deletes a claim someone took since."""

from __future__ import annotations

from downwatch.config import Settings
from downwatch.runtime.bus.ack_mux import AckMux
from downwatch.runtime.bus.claims import ClaimBook, Taken
from downwatch.runtime.bus.connection import connect
from downwatch.runtime.bus.names import CLAIMS_BUCKET


async def test_a_late_release_never_deletes_a_claim_taken_since(nats_settings: Settings) -> None:
    """Releases expect the claim's own revision: given back once, claimed again by another report,
    a second (late) release of the first leaves the new claim alone."""
    bus = await connect(nats_settings, name="claims-test")
    try:
        acks = AckMux(bus.nc)
        await acks.start()
        book = ClaimBook(acks, await bus.js.key_value(CLAIMS_BUCKET), 2.0)
        first: Taken = []
        assert await book.claim("net-1.bt.w1", "report-1", first) is True
        assert [key for key, _ in first] == ["net-1.bt.w1"]
        assert await book.claim("net-1.bt.w1", "report-2", []) is False, "held by report-1"
        await book.release(first)
        second: Taken = []
        assert await book.claim("net-1.bt.w1", "report-2", second) is True, "claimed over the delete marker"
        assert second[0][1] > first[0][1]
        await book.release(first)
        assert await book.claim("net-1.bt.w1", "report-3", []) is False, "report-2 still holds it"
        assert await book.claim("net-1.bt.w1", "report-2", []) is True, "a retry of report-2 keeps it"
        assert book.pending == []
    finally:
        await bus.close()
