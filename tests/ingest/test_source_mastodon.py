"""The Mastodon source (REST timelines and streaming) against a fake Mastodon over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ingest.sources.base import MalformedPayload, RateLimited, ServerError, UpstreamTimeout
from ingest.sources.mastodon import MastodonSource, MastodonStreamSource, timeline_paths
from tests.fakes.mastodon import FakeMastodon, sse_update
from tests.fakes.server import serving


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeMastodon, str]]:
    mastodon = FakeMastodon()
    async with serving(mastodon.app()) as url:
        yield mastodon, url


def add(mastodon: FakeMastodon, count: int, tag: str = "BTdown") -> list[str]:
    return [mastodon.add_status(f"post {i} is #{tag}", "2024-11-25T08:00:00Z", acct=f"user{i}",
                                tags=(tag,))["id"] for i in range(count)]


async def test_min_id_paging_delivers_every_new_status_once(fake: tuple[FakeMastodon, str]) -> None:
    mastodon, url = fake
    add(mastodon, 100)
    source = MastodonSource(url, timeline_paths(local=False, public=True, hashtags=[]), timeout=5)
    try:
        first = await source.fetch(None)
        assert len(source.parse(first.payload).observations) == 40
        fresh = add(mastodon, 50)
        seen: list[str] = []
        cursor = first.cursor
        for _ in range(5):
            result = await source.fetch(cursor)
            seen += [o.external_id for o in source.parse(result.payload).observations]
            cursor = result.cursor
            if not result.more:
                break
        assert sorted(seen) == sorted(fresh)
        assert cursor["min_id"]["public"] == fresh[-1]
    finally:
        await source.close()


async def test_hashtag_timeline(fake: tuple[FakeMastodon, str]) -> None:
    mastodon, url = fake
    add(mastodon, 3, tag="BTdown")
    add(mastodon, 2, tag="cats")
    source = MastodonSource(url, timeline_paths(local=False, public=False, hashtags=["BTdown"]), timeout=5)
    try:
        result = await source.fetch(None)
        parsed = source.parse(result.payload)
        assert len(parsed.observations) == 3 and all("#BTdown" in (o.text or "") for o in parsed.observations)
        assert mastodon.requests[0].startswith("/api/v1/timelines/tag/BTdown?limit=40")
    finally:
        await source.close()


@pytest.mark.parametrize(("fault", "error", "message"), [
    ("429", RateLimited, "429"),
    ("503", ServerError, "HTTP 503"),
    ("timeout", UpstreamTimeout, "no answer within"),
    ("html", MalformedPayload, "HTML page"),
    ("badutf8", MalformedPayload, "UTF-8"),
    ("huge", MalformedPayload, "larger than"),
    ("cut", UpstreamTimeout, "dropped mid-body"),
])
async def test_failure_modes_raise_the_matching_error(fake: tuple[FakeMastodon, str], fault: str,
                                                      error: type[Exception], message: str) -> None:
    mastodon, url = fake
    mastodon.faults.queue("public", fault)
    source = MastodonSource(url, timeline_paths(local=False, public=True, hashtags=[]), timeout=1.0,
                            max_bytes=1024 * 1024)
    try:
        with pytest.raises(error, match=message):
            await source.fetch(None)
        add(mastodon, 1)
        recovered = await source.fetch(None)  # the next request is served normally
        assert len(source.parse(recovered.payload).observations) == 1
    finally:
        await source.close()


async def test_retry_after_as_http_date(fake: tuple[FakeMastodon, str]) -> None:
    mastodon, url = fake
    mastodon.faults.retry_after = 30
    mastodon.faults.queue("public", "429-date")
    source = MastodonSource(url, timeline_paths(local=False, public=True, hashtags=[]))
    try:
        with pytest.raises(RateLimited) as caught:
            await source.fetch(None)
        # an HTTP date 30 s ahead, read against our clock: however slow this machine, never more than 30
        assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 30
    finally:
        await source.close()


async def test_stream_updates_then_a_drop(fake: tuple[FakeMastodon, str]) -> None:
    mastodon, url = fake
    statuses = [mastodon.add_status(f"stream {i}", "2024-11-25T08:00:00Z", acct=f"s{i}") for i in range(4)]
    mastodon.stream_events = [sse_update(statuses[0]), b"event: delete\ndata: 123\n\n",
                              b"event: update\ndata: {not json\n\n", sse_update(statuses[1]),
                              sse_update(statuses[2]), sse_update(statuses[3])]
    mastodon.stream_close_after = 5
    source = MastodonStreamSource(url, batch_seconds=0.5, idle_timeout=2.0)
    try:
        result = await source.fetch(None)
        parsed = source.parse(result.payload)
        assert [o.external_id for o in parsed.observations] == [s["id"] for s in statuses[:3]]
        assert len(parsed.skipped) == 1 and "JSON" in parsed.skipped[0]
        mastodon.stream_close_after = None
        again = await source.fetch(result.cursor)  # reconnects after the drop
        assert len(source.parse(again.payload).observations) == 4
        assert len([r for r in mastodon.requests if r.startswith("/api/v1/streaming/public")]) == 2
    finally:
        await source.close()
