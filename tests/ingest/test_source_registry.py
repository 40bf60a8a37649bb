"""build_sources: [sources.NAME] tables into sources, with clear errors for bad settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from downwatch.catalog import load_catalog
from downwatch.config import Settings
from downwatch.errors import ConfigError
from ingest.sources.bluesky import JetstreamSource
from ingest.sources.mastodon import MastodonSource, MastodonStreamSource
from ingest.sources.probes import ProbeSource
from ingest.sources.reddit import RedditSource
from ingest.sources.registry import build_sources
from ingest.sources.statuspage import StatuspageSource

CATALOG = load_catalog()


def build(sources: dict[str, dict[str, Any]]) -> list[Any]:
    return build_sources(Settings(sources=sources), CATALOG)


def test_every_type_builds(tmp_path: Path) -> None:
    replay = tmp_path / "r.jsonl"
    replay.write_text("")
    built = build({
        "reddit": {"subreddits": ["uktelecoms"], "search_services": ["bt"], "client_id": "x"},
        "mastodon": {"base_url": "https://mastodon.social", "hashtags": ["#BTdown"]},
        "fosstodon": {"type": "mastodon", "base_url": "https://fosstodon.org", "streaming": True},
        "bluesky": {},
        "statuspage": {"pages": {"github": "https://www.githubstatus.com"}},
        "rss": {"feeds": {"slack": "https://status.slack.com/feed/rss"}},
        "probes": {"services": ["bt"], "urls": {"netflix": {"website": "https://www.netflix.com/"}}},
        "replay": {"path": str(replay)},
        "off": {"type": "bluesky", "enabled": False},
    })
    by_name = {source.name: source for source in built}
    assert set(by_name) == {"reddit", "mastodon", "fosstodon", "bluesky", "statuspage:github", "rss:slack",
                            "probes", "replay"}
    assert isinstance(by_name["reddit"], RedditSource)
    assert isinstance(by_name["mastodon"], MastodonSource)
    assert isinstance(by_name["fosstodon"], MastodonStreamSource)
    assert isinstance(by_name["bluesky"], JetstreamSource)
    assert isinstance(by_name["statuspage:github"], StatuspageSource)
    assert isinstance(by_name["probes"], ProbeSource)


@pytest.mark.parametrize(("sources", "message"), [
    ({"twitter": {}}, "unknown source type 'twitter'"),
    ({"mastodon": {}}, "base_url is required"),
    ({"mastodon": {"base_url": "mastodon.social"}}, "must be a URL starting with http:// or https://"),
    ({"mastodon": {"base_url": "https://m.example", "hashtag": ["x"]}}, "unknown key(s) hashtag"),
    ({"mastodon": {"base_url": "https://m.example", "poll_seconds": "fast"}}, "poll_seconds = 'fast'"),
    ({"reddit": {}}, "set subreddits, search_services or queries"),
    ({"reddit": {"search_services": ["nope-not-a-service"]}}, "unknown service(s) nope-not-a-service"),
    ({"bluesky": {"url": "https://jetstream.example"}}, "starting with ws:// or wss://"),
    ({"statuspage": {}}, "no pages"),
    ({"probes": {"urls": {"bt": {"home": "https://bt.com"}}}}, "website and/or login"),
    ({"replay": {"path": "/no/such.jsonl"}}, "is not a file"),
    ({"bluesky": {"enabled": "yes"}}, "enabled = 'yes' must be true or false"),
])
def test_bad_settings_are_config_errors(sources: dict[str, dict[str, Any]], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build(sources)
    assert message in caught.value.detail
