"""Author ids are stored only as keyed hashes: not in the hash's place, and not inside a stored link."""

from __future__ import annotations

from pathlib import Path

from downwatch.catalog import load_catalog
from ingest.sources.mastodon import parse_statuses
from ingest.sources.routing import default_pipeline
from ingest.text.pipeline import anonymous_link

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"


def test_links_that_name_their_author_are_not_kept() -> None:
    assert anonymous_link("https://mastodon.social/@anna/113", "anna") is None
    assert anonymous_link("https://mastodon.social/@anna/113", "anna@mastodon.social") is None
    assert anonymous_link("at://did:plc:xyz/app.bsky.feed.post/1", "did:plc:xyz") is None
    kept = "https://www.reddit.com/r/bt/comments/abc/bt_down/"
    assert anonymous_link(kept, "someone_else") == kept
    assert anonymous_link(kept, None) == kept


def test_mastodon_signals_store_no_author_name_anywhere() -> None:
    observations = parse_statuses((FIXTURES / "mastodon_public.json").read_bytes()).observations
    authors = {o.author for o in observations if o.author}
    signals = default_pipeline(load_catalog(), "k").signals(observations)
    assert signals and authors
    for signal in signals:
        stored = f"{signal.evidence} {signal.author_hash}".casefold()
        assert not any(author.casefold().split("@")[0] in stored for author in authors), signal.evidence
