"""The Reddit source with the real praw, against a fake Reddit over real HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import praw
import pytest

from ingest.sources.base import MalformedPayload, RateLimited, ServerError, UpstreamRefused
from ingest.sources.reddit import RedditSource, listings_for
from tests.fakes.reddit import FakeReddit
from tests.fakes.server import serving


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeReddit, str]]:
    reddit = FakeReddit()
    async with serving(reddit.app()) as url:
        yield reddit, url


def source_for(url: str, **kw: Any) -> RedditSource:
    def build() -> praw.Reddit:
        return praw.Reddit(client_id="id", client_secret="secret", user_agent="downwatch-test",
                           oauth_url=url, reddit_url=url, short_url=url, check_for_async=False, timeout=3)

    return RedditSource(build, listings_for(["uktelecoms"], ["outlook"], "all", 100), **kw)


async def test_new_posts_comments_and_search_then_only_what_is_new(fake: tuple[FakeReddit, str]) -> None:
    reddit, url = fake
    now = time.time()
    first = reddit.add_post("uktelecoms", "BT broadband down in Leeds?", now - 60, author="a1")
    reddit.add_post("uktelecoms", "Outlook not sending mail", now - 30, author="a2")
    reddit.add_post("gaming", "outlook web login loop", now - 20, author="a3")
    reddit.add_comment("uktelecoms", "same here", now - 10, author="a4")
    source = source_for(url)
    try:
        result = await source.fetch(None)
        parsed = source.parse(result.payload)
        ids = sorted(o.external_id for o in parsed.observations)
        # the Outlook post is in the subreddit's new listing AND the search; the store dedups it
        assert len(ids) == 5 and len(set(ids)) == 4 and first in ids
        assert any(path.startswith("/r/all/search/?q=outlook") for path in reddit.requests)
        assert "token client_credentials" in reddit.requests
        again = await source.fetch(result.cursor)
        assert source.parse(again.payload).observations == []
        newer = reddit.add_post("uktelecoms", "still down", now, author="a5")
        third = await source.fetch(again.cursor)
        assert [o.external_id for o in source.parse(third.payload).observations] == [newer]
    finally:
        await source.close()


async def test_posts_at_the_same_second_as_the_watermark_are_not_lost(fake: tuple[FakeReddit, str]) -> None:
    reddit, url = fake
    now = float(int(time.time()))
    reddit.add_post("uktelecoms", "one", now)
    source = source_for(url)
    result = await source.fetch(None)
    late = reddit.add_post("uktelecoms", "two, same second", now)
    again = await source.fetch(result.cursor)
    assert [o.external_id for o in source.parse(again.payload).observations] == [late]


async def test_429_is_rate_limited_with_retry_after(fake: tuple[FakeReddit, str]) -> None:
    reddit, url = fake
    reddit.faults.retry_after = 7
    reddit.faults.queue("new", "429")
    with pytest.raises(RateLimited) as caught:
        await source_for(url).fetch(None)
    assert caught.value.retry_after == 7


async def test_html_instead_of_json_is_malformed(fake: tuple[FakeReddit, str]) -> None:
    reddit, url = fake
    reddit.faults.queue("new", "html")
    with pytest.raises(MalformedPayload, match="not JSON"):
        await source_for(url).fetch(None)


async def test_persistent_500s_become_a_server_error_after_praws_own_retries(
        fake: tuple[FakeReddit, str]) -> None:
    reddit, url = fake
    reddit.faults.queue("new", "500", "500", "500")
    with pytest.raises(ServerError, match="HTTP 500"):
        await source_for(url).fetch(None)
    assert reddit.faults.served["new"] == ["500", "500", "500"]


async def test_a_refused_token_is_a_configuration_problem(fake: tuple[FakeReddit, str]) -> None:
    _, url = fake

    def build() -> praw.Reddit:
        return praw.Reddit(client_id="id", client_secret="wrong", user_agent="downwatch-test",
                           oauth_url=url, reddit_url=url, short_url=url, check_for_async=False)

    with pytest.raises(UpstreamRefused):
        await RedditSource(build, listings_for(["uktelecoms"], [], "all", 10)).fetch(None)
