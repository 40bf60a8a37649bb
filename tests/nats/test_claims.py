"""The claims of a report, against a real nats-server: given back with the revision they were taken at,
so a late release never deletes a claim someone took since."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from downwatch.config import Settings
from downwatch.runtime.bus.ack_mux import AckMux
from downwatch.runtime.bus.claims import ClaimBook, Taken
from downwatch.runtime.bus.connection import Bus, connect
from downwatch.runtime.bus.names import CLAIMS_BUCKET


@asynccontextmanager
async def claim_book(settings: Settings, timeout: float) -> AsyncIterator[tuple[Bus, ClaimBook]]:
    """A ClaimBook on its own connection to the test's nats-server, as an API process holds one."""
    bus = await connect(settings, name="claims-test")
    try:
        acks = AckMux(bus.nc)
        await acks.start()
        yield bus, ClaimBook(acks, await bus.js.key_value(CLAIMS_BUCKET), timeout)
    finally:
        await bus.close()


async def test_a_late_release_never_deletes_a_claim_taken_since(nats_settings: Settings) -> None:
    """Releases expect the claim's own revision: given back once, claimed again by another report,
    a second (late) release of the first leaves the new claim alone."""
    async with claim_book(nats_settings, 2.0) as (_, book):
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


async def test_a_release_nats_does_not_answer_is_tried_again(nats_settings: Settings) -> None:
    """The claims stream stops taking the bucket's subjects (no responder: no answer), so the release
    is kept; once the stream takes them again, ``release_pending`` gives the claim back."""
    async with claim_book(nats_settings, 0.5) as (bus, book):
        taken: Taken = []
        assert await book.claim("net-2.bt.w1", "report-1", taken) is True
        stream = f"KV_{CLAIMS_BUCKET}"
        config = (await bus.js.stream_info(stream)).config
        await bus.js.update_stream(replace(config, subjects=["elsewhere.>"]))
        try:
            await book.release(taken)
            assert book.pending == taken
        finally:
            await bus.js.update_stream(config)
        assert await book.claim("net-2.bt.w1", "report-2", []) is False, "not released yet"
        await book.release_pending()
        assert book.pending == []
        assert await book.claim("net-2.bt.w1", "report-2", []) is True, "released on the second try"


async def test_while_disconnected_a_release_is_kept_without_waiting_for_an_answer(
        nats_settings: Settings) -> None:
    async with claim_book(nats_settings, 0.5) as (_, book):
        taken: Taken = []
        assert await book.claim("net-3.bt.w1", "report-1", taken) is True
        await book.release(taken, connected=False)
        assert book.pending == taken and book.released == 0
        assert await book.claim("net-3.bt.w1", "report-2", []) is False
        await book.release_pending()
        assert book.pending == [] and book.released == 1
        assert await book.claim("net-3.bt.w1", "report-2", []) is True
