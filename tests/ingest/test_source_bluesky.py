"""The Jetstream source against a fake Jetstream websocket over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ingest.sources.base import RateLimited, UpstreamTimeout
from ingest.sources.bluesky import JetstreamSource
from tests.fakes.jetstream import FakeJetstream, post_event
from tests.fakes.server import serving


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeJetstream, str]]:
    jetstream = FakeJetstream()
    async with serving(jetstream.app()) as url:
        yield jetstream, url.replace("http://", "ws://") + "/subscribe"


async def collect(source: JetstreamSource, rounds: int) -> tuple[list[str], int, dict[str, int]]:
    ids: list[str] = []
    skipped = 0
    cursor: dict[str, int] = {}
    for _ in range(rounds):
        try:
            result = await source.fetch(cursor)
        except UpstreamTimeout:
            continue
        parsed = source.parse(result.payload)
        ids += [o.external_id for o in parsed.observations]
        skipped += len(parsed.skipped)
        cursor = result.cursor
    return ids, skipped, cursor


async def test_posts_arrive_with_the_cursor_advancing(fake: tuple[FakeJetstream, str]) -> None:
    jetstream, url = fake
    events = [post_event(i, f"post {i}") for i in range(50)]
    jetstream.events = list(events)
    source = JetstreamSource(url, batch_seconds=0.2, idle_timeout=0.5)
    try:
        ids, skipped, cursor = await collect(source, 3)
    finally:
        await source.close()
    # an idle reconnect replays from the cursor inclusively: at most the boundary event comes twice
    assert len(set(ids)) == 50 and len(ids) - 50 <= len(jetstream.connections) - 1 and skipped == 0
    assert cursor["time_us"] == events[-1]["time_us"]
    assert jetstream.connections[0]["wanted"] == ["app.bsky.feed.post"]


async def test_a_drop_reconnects_from_the_cursor_and_loses_nothing(fake: tuple[FakeJetstream, str]) -> None:
    jetstream, url = fake
    events = [post_event(i, f"post {i}") for i in range(40)]
    jetstream.events = list(events)
    jetstream.close_after = {0: 15}
    jetstream.cut_mid_frame_after = {1: 10}
    source = JetstreamSource(url, batch_seconds=0.2, idle_timeout=0.5)
    try:
        ids, _, _ = await collect(source, 8)
    finally:
        await source.close()
    assert set(ids) == {f"at://did:plc:author{i:06d}/app.bsky.feed.post/rk{i:06d}" for i in range(40)}
    assert len(jetstream.connections) >= 3
    assert jetstream.connections[1]["cursor"] == str(events[14]["time_us"])


async def test_garbage_messages_are_skipped_with_reasons(fake: tuple[FakeJetstream, str]) -> None:
    jetstream, url = fake
    jetstream.events = [post_event(0, "ok"), "{not json", b'{"did": "\xff\xfe"}',
                        {"did": "did:plc:x", "time_us": 5, "kind": "commit", "commit": {}},
                        post_event(1, "also ok")]
    source = JetstreamSource(url, batch_seconds=0.2, idle_timeout=0.5)
    try:
        ids, skipped, _ = await collect(source, 2)
    finally:
        await source.close()
    assert len(ids) == 2 and skipped == 2  # the commit without an operation is just not a post


async def test_handshake_refusals_are_errors(fake: tuple[FakeJetstream, str]) -> None:
    jetstream, url = fake
    jetstream.faults.queue("subscribe", "429")
    source = JetstreamSource(url, idle_timeout=0.5)
    try:
        with pytest.raises(RateLimited):
            await source.fetch(None)
    finally:
        await source.close()
    dead = JetstreamSource("ws://127.0.0.1:9/subscribe", idle_timeout=0.5)
    try:
        with pytest.raises(UpstreamTimeout, match="cannot connect"):
            await dead.fetch(None)
    finally:
        await dead.close()
