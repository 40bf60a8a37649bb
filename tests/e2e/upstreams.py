"""The fake upstreams of one `serve` run (Reddit for praw, Mastodon, a status host with a Statuspage
page and two probed pages), the TOML that points `serve` at them, and what each should yield."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from downwatch.catalog import load_catalog
from downwatch.records import Observation
from ingest.sources.mastodon import parse_statuses
from ingest.sources.reddit import parse_listings
from ingest.sources.routing import default_pipeline
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.reddit import FakeReddit
from tests.fakes.server import serving_in_thread
from tests.fakes.statuspage import FakeStatusHost

SERVICE = "netflix"
REDDIT_ID = "e2e-id"
REDDIT_SECRET = "e2e-secret"
SUBREDDIT = "outages"
WEBSITE_PAGE = f"/{SERVICE}/"
LOGIN_PAGE = f"/{SERVICE}/login"
SOURCE_NAMES = ("mastodon", "probes", "reddit", f"statuspage:{SERVICE}")
COMPLAINTS = ("is Netflix down? can't log in", "Netflix down for anyone else? login keeps failing",
              "Netflix won't play anything, is it down?", "netflix not loading at all, getting an error page")


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def statuspage_summary(indicator: str, updated_at: str, incident: bool) -> bytes:
    """A Statuspage ``summary.json``: operational, or one unresolved incident of ``indicator`` impact."""
    incidents = []
    if incident:
        incidents.append({
            "id": "inc1", "name": "Playback and sign-in failures", "status": "investigating",
            "impact": indicator, "created_at": updated_at, "updated_at": updated_at, "started_at": updated_at,
            "resolved_at": None, "shortlink": "https://stspg.io/inc1", "page_id": "page1",
            "components": [{"name": "Sign-in"}],
            "incident_updates": [{"id": "upd1", "status": "investigating", "body": "We are investigating.",
                                  "created_at": updated_at, "display_at": updated_at,
                                  "affected_components": [{"name": "Sign-in"}]}]})
    descriptions = {"none": "All Systems Operational", "major": "Partial System Outage"}
    return json.dumps({
        "page": {"id": "page1", "name": "Netflix", "url": "https://status.example", "updated_at": updated_at},
        "status": {"indicator": indicator, "description": descriptions[indicator]},
        "components": [], "incidents": incidents}).encode()


@dataclass
class Upstreams:
    reddit: FakeReddit = field(
        default_factory=lambda: FakeReddit(client_id=REDDIT_ID, client_secret=REDDIT_SECRET))
    mastodon: FakeMastodon = field(default_factory=FakeMastodon)
    status_host: FakeStatusHost = field(default_factory=FakeStatusHost)
    reddit_url: str = ""
    mastodon_url: str = ""
    status_url: str = ""
    _authors: int = 0

    def config_toml(self) -> str:
        return f"""
[sources.reddit]
subreddits = ["{SUBREDDIT}"]
poll_seconds = 1
client_id = "{REDDIT_ID}"
client_secret = "{REDDIT_SECRET}"
user_agent = "downwatch-e2e"
oauth_url = "{self.reddit_url}"
reddit_url = "{self.reddit_url}"
short_url = "{self.reddit_url}"
timeout = 5

[sources.mastodon]
base_url = "{self.mastodon_url}"
poll_seconds = 1
timeout = 5

[sources.statuspage]
pages = {{{SERVICE} = "{self.status_url}"}}
poll_seconds = 1
timeout = 5

[sources.probes]
urls.{SERVICE} = {{website = "{self.status_url}{WEBSITE_PAGE}", login = "{self.status_url}{LOGIN_PAGE}"}}
poll_seconds = 1
timeout = 5
host_interval = 0
"""

    def all_is_well(self) -> None:
        self.status_host.summary = statuspage_summary("none", iso(time.time()), incident=False)
        self.status_host.pages.update({WEBSITE_PAGE: 200, LOGIN_PAGE: 200})
        self.mastodon.add_status("lovely day for a walk", iso(time.time()), acct="walker")

    def outage(self) -> None:
        self.status_host.summary = statuspage_summary("major", iso(time.time()), incident=True)
        self.status_host.pages.update({WEBSITE_PAGE: 503, LOGIN_PAGE: 503})

    def complain(self, reddit_posts: int, mastodon_statuses: int) -> None:
        """Distinct authors saying the service is down, on both networks."""
        now = time.time()
        for _ in range(reddit_posts):
            self._authors += 1
            self.reddit.add_post(SUBREDDIT, COMPLAINTS[self._authors % len(COMPLAINTS)], now,
                                 author=f"redditor{self._authors}")
        for _ in range(mastodon_statuses):
            self._authors += 1
            self.mastodon.add_status(COMPLAINTS[self._authors % len(COMPLAINTS)], iso(now),
                                     acct=f"tooter{self._authors}")

    def reddit_observations(self) -> list[Observation]:
        listing = {"kind": "Listing", "data": {"children": list(self.reddit.posts.get(SUBREDDIT, []))}}
        return parse_listings(listing).observations

    def mastodon_observations(self) -> list[Observation]:
        return parse_statuses(list(self.mastodon.statuses)).observations


def expected_signal_ids(observations: list[Observation], hash_key: str) -> set[str]:
    """External ids of the signals the real pipeline makes of ``observations`` (all distinct authors)."""
    pipeline = default_pipeline(load_catalog(), hash_key)
    return {signal.external_id for signal in pipeline.signals(observations)}


@contextmanager
def running_upstreams() -> Iterator[Upstreams]:
    upstreams = Upstreams()
    with ExitStack() as stack:
        upstreams.reddit_url = stack.enter_context(serving_in_thread(upstreams.reddit.app()))
        upstreams.mastodon_url = stack.enter_context(serving_in_thread(upstreams.mastodon.app()))
        upstreams.status_url = stack.enter_context(serving_in_thread(upstreams.status_host.app()))
        upstreams.all_is_well()
        yield upstreams
