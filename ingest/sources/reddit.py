"""Reddit through praw: new posts and comments in configured subreddits, plus searches for
service names. praw is synchronous, so every call runs in a worker thread.

praw reads credentials from its own configuration (``praw.ini`` or ``praw_client_id``,
``praw_client_secret``, ``praw_user_agent`` in the environment); settings may override them.
The raw Listing JSON is fetched with ``Reddit.request`` (praw's auth, rate limiting and retries)
so that ``parse`` sees exactly what Reddit sends and recorded listings replay unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import prawcore

from downwatch.records import Kind, Observation
from ingest.sources.backoff import parse_retry_after
from ingest.sources.base import (
    Cursor,
    FetchResult,
    MalformedPayload,
    Parsed,
    RateLimited,
    ServerError,
    UpstreamError,
    UpstreamRefused,
    UpstreamTimeout,
)
from ingest.sources.http import decode_json
from ingest.sources.values import (
    ItemError,
    convert_each,
    optional_str,
    parse_time,
    require_dict,
    require_list,
    require_str,
)

log = logging.getLogger(__name__)
SOURCE_NAME = "reddit"
REDDIT_WEB = "https://www.reddit.com"


@dataclass(frozen=True, slots=True)
class Listing:
    """One Reddit listing we poll: ``key`` names it in the cursor."""

    key: str
    path: str
    params: dict[str, str | int]


def listings_for(subreddits: list[str], queries: list[str], search_in: str, limit: int) -> list[Listing]:
    out: list[Listing] = []
    for sub in subreddits:
        out.append(Listing(f"r/{sub}/new", f"/r/{sub}/new", {"limit": limit, "raw_json": 1}))
        out.append(Listing(f"r/{sub}/comments", f"/r/{sub}/comments", {"limit": limit, "raw_json": 1}))
    for query in queries:
        out.append(Listing(f"search/{search_in}/{query}", f"/r/{search_in}/search/",
                           {"q": query, "sort": "new", "t": "day", "limit": limit, "raw_json": 1,
                            "restrict_sr": "on" if search_in != "all" else "off"}))
    return out


def _children(listing: Any) -> list[Any]:
    body = require_dict(listing, "listing")
    if body.get("kind") != "Listing":
        raise MalformedPayload(f"expected a Reddit Listing, got kind {body.get('kind')!r}")
    data = require_dict(body.get("data"), "listing data")
    return require_list(data.get("children"), "listing children")


def _observation(child: Any) -> Observation:
    thing = require_dict(child, "child")
    kind = thing.get("kind")
    data = require_dict(thing.get("data"), "child data")
    fullname = require_str(data, "name")
    created = parse_time(data.get("created_utc"), "created_utc")
    author = optional_str(data, "author")
    if author in ("[deleted]", "[removed]"):
        author = None
    permalink = optional_str(data, "permalink")
    if kind == "t3":
        parts = (optional_str(data, "title"), optional_str(data, "selftext"))
        text = "\n".join(part for part in parts if part)
        crosspost = optional_str(data, "crosspost_parent")
    elif kind == "t1":
        text = optional_str(data, "body") or ""
        crosspost = None
    else:
        raise ItemError(f"child kind {kind!r} is neither a post (t3) nor a comment (t1)")
    return Observation(
        source=SOURCE_NAME, external_id=fullname, observed_at=created, text=text, author=author,
        url=f"{REDDIT_WEB}{permalink}" if permalink else None, kind=Kind.POST, repost_of=crosspost,
        fields={"subreddit": optional_str(data, "subreddit"), "thing": kind},
    )


def parse_listings(payload: Any) -> Parsed:
    """Observations from one Listing, a list of Listings (a comment page) or their raw bytes."""
    if isinstance(payload, bytes | bytearray):
        payload = decode_json(bytes(payload), "Reddit listing")
    listings = payload if isinstance(payload, list) else [payload]
    observations: list[Observation] = []
    skipped: list[str] = []
    for listing in listings:
        try:
            children = _children(listing)
        except ItemError as exc:
            raise MalformedPayload(f"Reddit listing: {exc}") from exc
        observations += convert_each(children, _observation, "Reddit child", skipped)
    return Parsed(observations, skipped)


def _newer_than(children: list[Any], mark: dict[str, Any] | None) -> tuple[list[Any], dict[str, Any] | None]:
    """The children after the watermark, and the watermark after them (newest time + names at it)."""
    since = float(mark["created"]) if mark else float("-inf")
    names_at_mark = set(mark.get("names", [])) if mark else set()
    fresh: list[Any] = []
    newest = since
    names_at_newest = set(names_at_mark)
    for child in children:
        data = child.get("data") if isinstance(child, dict) else None
        if not isinstance(data, dict):
            fresh.append(child)
            continue
        created, name = data.get("created_utc"), data.get("name")
        if not isinstance(created, int | float) or isinstance(created, bool):
            fresh.append(child)
            continue
        if created < since or (created == since and name in names_at_mark):
            continue
        fresh.append(child)
        if created > newest:
            newest, names_at_newest = float(created), {name}
        elif created == newest:
            names_at_newest.add(name)
    if newest == float("-inf"):
        return fresh, mark
    return fresh, {"created": newest, "names": sorted(str(n) for n in names_at_newest)}


def _upstream_error(exc: Exception, where: str) -> UpstreamError:
    if isinstance(exc, prawcore.exceptions.TooManyRequests):
        return RateLimited(f"{where}: 429 Too Many Requests",
                           retry_after=parse_retry_after(exc.response.headers.get("retry-after")))
    if isinstance(exc, prawcore.exceptions.BadJSON):
        return MalformedPayload(f"{where}: Reddit answered with a body that is not JSON")
    if isinstance(exc, prawcore.exceptions.ResponseException):
        status = exc.response.status_code
        retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
        if status >= 500:
            return ServerError(f"{where}: HTTP {status}", retry_after=retry_after)
        return UpstreamRefused(f"{where}: HTTP {status}", retry_after=retry_after)
    if isinstance(exc, prawcore.exceptions.OAuthException):
        return UpstreamRefused(f"{where}: OAuth refused ({exc}); check the praw credentials")
    if isinstance(exc, prawcore.exceptions.RequestException):
        return UpstreamTimeout(f"{where}: {exc}")
    return UpstreamError(f"{where}: {type(exc).__name__}: {exc}")


class RedditSource:
    """Polls each listing in turn; the cursor keeps a per-listing watermark."""

    def __init__(self, reddit_factory: Callable[[], Any], listings: list[Listing], *,
                 name: str = SOURCE_NAME, poll_seconds: float = 60.0) -> None:
        self.name = name
        self.poll_seconds = poll_seconds
        self._reddit_factory = reddit_factory
        self._reddit: Any = None
        self._listings = listings

    def _get(self, listing: Listing) -> Any:
        if self._reddit is None:
            self._reddit = self._reddit_factory()
        return self._reddit.request(method="GET", path=listing.path, params=dict(listing.params))

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        marks: dict[str, Any] = dict((cursor or {}).get("listings", {}))
        fresh_listings: list[Any] = []
        for listing in self._listings:
            try:
                body = await asyncio.to_thread(self._get, listing)
            except UpstreamError:
                raise
            except Exception as exc:  # praw/prawcore/requests raise many types; all mean "this fetch failed"
                raise _upstream_error(exc, f"reddit {listing.key}") from exc
            try:
                children = _children(body)
            except ItemError as exc:
                raise MalformedPayload(f"reddit {listing.key}: {exc}") from exc
            fresh, marks[listing.key] = _newer_than(children, marks.get(listing.key))
            fresh_listings.append({"kind": "Listing", "data": {"children": fresh}})
        return FetchResult(payload=fresh_listings, cursor={"listings": marks})

    def parse(self, payload: Any) -> Parsed:
        return parse_listings(payload)

    async def close(self) -> None:
        self._reddit = None


def reddit_factory(options: dict[str, Any]) -> Callable[[], Any]:
    """A function that builds the praw client from praw's own configuration plus ``options``."""

    def build() -> Any:
        import praw

        return praw.Reddit(check_for_async=False, **options)

    return build
