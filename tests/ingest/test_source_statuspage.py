"""Statuspage JSON and RSS status feeds polled from a fake status host over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ingest.sources.base import MalformedPayload, ServerError
from ingest.sources.rss import FeedSource
from ingest.sources.statuspage import StatuspageSource
from tests.fakes.server import serving
from tests.fakes.statuspage import FakeStatusHost

UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeStatusHost, str]]:
    host = FakeStatusHost(summary=(UPSTREAM / "statuspage_summary.json").read_bytes(),
                          feed=(UPSTREAM / "status_feed.rss").read_bytes())
    async with serving(host.app()) as url:
        yield host, url


async def test_summary_polls_give_the_same_external_ids(fake: tuple[FakeStatusHost, str]) -> None:
    host, url = fake
    source = StatuspageSource(url, "github")
    try:
        first = source.parse((await source.fetch(None)).payload).observations
        second = source.parse((await source.fetch(None)).payload).observations
    finally:
        await source.close()
    assert [o.external_id for o in first] == [o.external_id for o in second]
    assert {o.service for o in first} == {"github"} and len(first) == 3
    assert host.requests[0][0] == "/api/v2/summary.json" and host.requests[0][1].startswith("downwatch/")


async def test_summary_failures(fake: tuple[FakeStatusHost, str]) -> None:
    host, url = fake
    host.faults.queue("summary", "500", "html")
    source = StatuspageSource(url, "github")
    try:
        with pytest.raises(ServerError):
            await source.fetch(None)
        with pytest.raises(MalformedPayload, match="HTML"):
            source.parse((await source.fetch(None)).payload)
    finally:
        await source.close()


async def test_feed_uses_etag_and_an_unchanged_feed_is_empty(fake: tuple[FakeStatusHost, str]) -> None:
    host, url = fake
    source = FeedSource(f"{url}/history.rss", "slack")
    try:
        first = await source.fetch(None)
        assert len(source.parse(first.payload).observations) == 2
        assert first.cursor == {"etag": '"v1"'}
        unchanged = await source.fetch(first.cursor)
        assert source.parse(unchanged.payload).observations == []
        assert host.requests[-1] == ("/history.rss", '"v1"')
    finally:
        await source.close()
