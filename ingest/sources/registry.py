"""Sources from settings: ``[sources.NAME]`` tables validated into ready-to-run sources.

A table's name is its type (``reddit``, ``mastodon``, ``bluesky``, ``statuspage``, ``rss``,
``probes``, ``replay``) unless it sets ``type``, so one type can run twice under two names.
Every key is documented in ``ingest/README.md``; unknown keys and wrong types are ``ConfigError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from downwatch.config import Settings
from downwatch.errors import ConfigError
from downwatch.records import Service
from ingest.sources.base import Source
from ingest.sources.bluesky import POST, REPOST, JetstreamSource
from ingest.sources.mastodon import MastodonSource, MastodonStreamSource, timeline_paths
from ingest.sources.probes import ProbeSource, ProbeTarget, targets_from_domains
from ingest.sources.reddit import RedditSource, listings_for, reddit_factory
from ingest.sources.replay import ReplaySource
from ingest.sources.rss import FeedSource
from ingest.sources.statuspage import StatuspageSource

JETSTREAM_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
PRAW_KEYS = ("client_id", "client_secret", "user_agent", "site_name", "oauth_url", "reddit_url",
             "short_url", "timeout")


class Table:
    """One ``[sources.NAME]`` table, read key by key with type checks."""

    def __init__(self, name: str, values: Mapping[str, Any], known: Iterable[str]) -> None:
        self.name = name
        self._values = values
        unknown = sorted(set(values) - set(known) - {"type", "enabled"})
        if unknown:
            raise ConfigError(f"[sources.{name}]: unknown key(s) {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(known))}; see ingest/README.md)")

    def _fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"[sources.{self.name}]: {key} = {self._values[key]!r} must be {expected}")

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        if key not in self._values:
            if required:
                raise ConfigError(f"[sources.{self.name}]: {key} is required (see ingest/README.md)")
            return default
        value = self._values[key]
        if not isinstance(value, str) or not value:
            raise self._fail(key, "a non-empty string")
        return value

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        value = self._values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self._fail(key, f"a number of at least {minimum:g}")
        return float(value)

    def whole(self, key: str, default: int, *, minimum: int = 1) -> int:
        value = self._values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self._fail(key, f"a whole number of at least {minimum}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._values.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def words(self, key: str, default: tuple[str, ...] = ()) -> list[str]:
        value = self._values.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self._fail(key, "a list of non-empty strings")
        return list(value)

    def mapping(self, key: str) -> dict[str, Any]:
        value = self._values.get(key, {})
        if not isinstance(value, dict):
            raise self._fail(key, "a table")
        return dict(value)


def _check_slugs(table: Table, slugs: Iterable[str], services: Mapping[str, Service]) -> None:
    unknown = sorted(slug for slug in slugs if slug not in services)
    if unknown:
        raise ConfigError(f"[sources.{table.name}]: unknown service(s) {', '.join(unknown)}; "
                          "use catalog slugs")


def _url(table: Table, key: str, value: Any, schemes: tuple[str, ...] = ("http://", "https://")) -> str:
    if not isinstance(value, str) or not value.startswith(schemes):
        raise ConfigError(f"[sources.{table.name}]: {key} = {value!r} must be a URL starting with "
                          f"{' or '.join(schemes)}")
    return value


def _reddit(name: str, values: Mapping[str, Any], services: Mapping[str, Service]) -> list[Source]:
    t = Table(name, values, ("subreddits", "search_services", "queries", "search_in", "limit",
                             "poll_seconds", *PRAW_KEYS))
    slugs = t.words("search_services")
    _check_slugs(t, slugs, services)
    queries = [services[slug].name for slug in slugs] + t.words("queries")
    subreddits = t.words("subreddits")
    if not subreddits and not queries:
        raise ConfigError(f"[sources.{name}]: set subreddits, search_services or queries")
    options: dict[str, Any] = {key: values[key] for key in PRAW_KEYS if key in values}
    listings = listings_for(subreddits, queries, t.text("search_in", "all") or "all", t.whole("limit", 100))
    return [RedditSource(reddit_factory(options), listings, name=name,
                         poll_seconds=t.number("poll_seconds", 60.0, minimum=1.0))]


def _mastodon(name: str, values: Mapping[str, Any], services: Mapping[str, Service]) -> list[Source]:
    t = Table(name, values, ("base_url", "public", "local", "hashtags", "access_token", "poll_seconds",
                             "streaming", "stream_path", "timeout"))
    base = _url(t, "base_url", t.text("base_url", required=True))
    token = t.text("access_token")
    if t.flag("streaming", False):
        return [MastodonStreamSource(base, name=name, access_token=token,
                                     stream_path=t.text("stream_path", "/api/v1/streaming/public") or "")]
    timelines = timeline_paths(t.flag("local", False), t.flag("public", True),
                               [tag.lstrip("#") for tag in t.words("hashtags")])
    if not timelines:
        raise ConfigError(f"[sources.{name}]: no timeline to read; set public, local or hashtags")
    return [MastodonSource(base, timelines, name=name, access_token=token,
                           poll_seconds=t.number("poll_seconds", 30.0, minimum=1.0),
                           timeout=t.number("timeout", 20.0, minimum=0.1))]


def _bluesky(name: str, values: Mapping[str, Any], services: Mapping[str, Service]) -> list[Source]:
    t = Table(name, values, ("url", "include_reposts", "batch_seconds", "batch_size", "idle_timeout"))
    url = _url(t, "url", t.text("url", JETSTREAM_URL), ("ws://", "wss://"))
    collections = (POST, REPOST) if t.flag("include_reposts", False) else (POST,)
    return [JetstreamSource(url, name=name, collections=collections,
                            batch_seconds=t.number("batch_seconds", 1.0, minimum=0.01),
                            batch_size=t.whole("batch_size", 1000),
                            idle_timeout=t.number("idle_timeout", 60.0, minimum=0.1))]


def _pages(t: Table, key: str, services: Mapping[str, Service]) -> dict[str, str]:
    pages = {slug: _url(t, f"{key}.{slug}", url) for slug, url in t.mapping(key).items()}
    _check_slugs(t, pages, services)
    return pages


def _statuspage(name: str, values: Mapping[str, Any], services: Mapping[str, Service]) -> list[Source]:
    t = Table(name, values, ("pages", "from_catalog", "poll_seconds", "timeout"))
    pages = _pages(t, "pages", services)
    if t.flag("from_catalog", False):
        for service in services.values():
            if service.status_page and service.slug not in pages:
                pages[service.slug] = service.status_page
    if not pages:
        raise ConfigError(f"[sources.{name}]: no pages; set pages = {{slug = \"https://...\"}} "
                          "or from_catalog = true")
    poll = t.number("poll_seconds", 60.0, minimum=1.0)
    timeout = t.number("timeout", 20.0, minimum=0.1)
    return [StatuspageSource(url, slug, name=f"{name}:{slug}", poll_seconds=poll, timeout=timeout)
            for slug, url in sorted(pages.items())]


def _rss(name: str, values: Mapping[str, Any], services: Mapping[str, Service]) -> list[Source]:
    t = Table(name, values, ("feeds", "poll_seconds", "timeout"))
    feeds = _pages(t, "feeds", services)
    if not feeds:
        raise ConfigError(f"[sources.{name}]: no feeds; set feeds = {{slug = \"https://.../history.rss\"}}")
    poll = t.number("poll_seconds", 120.0, minimum=1.0)
    timeout = t.number("timeout", 20.0, minimum=0.1)
    return [FeedSource(url, slug, name=f"{name}:{slug}", poll_seconds=poll, timeout=timeout)
            for slug, url in sorted(feeds.items())]


def _probes(name: str, values: Mapping[str, Any], services: Mapping[str, Service]) -> list[Source]:
    t = Table(name, values, ("services", "urls", "login_path", "poll_seconds", "timeout", "concurrency",
                             "host_interval"))
    slugs = t.words("services")
    _check_slugs(t, slugs, services)
    login_path = t.text("login_path", "/login") or "/login"
    targets: list[ProbeTarget] = []
    for slug in slugs:
        targets += targets_from_domains(slug, services[slug].domains, login_path)
    urls = t.mapping("urls")
    _check_slugs(t, urls, services)
    for slug, pages in urls.items():
        if not isinstance(pages, dict) or not set(pages) <= {"website", "login"}:
            raise ConfigError(f"[sources.{name}]: urls.{slug} must be a table with website and/or login")
        targets = [target for target in targets if target.service != slug]
        targets += [ProbeTarget(slug, page, _url(t, f"urls.{slug}.{page}", url))
                    for page, url in pages.items()]
    if not targets:
        raise ConfigError(f"[sources.{name}]: nothing to probe; set services (with catalog domains) or urls")
    return [ProbeSource(targets, name=name, poll_seconds=t.number("poll_seconds", 60.0, minimum=1.0),
                        timeout=t.number("timeout", 10.0, minimum=0.1),
                        concurrency=t.whole("concurrency", 8),
                        host_interval=t.number("host_interval", 30.0))]


def _replay(name: str, values: Mapping[str, Any], services: Mapping[str, Service]) -> list[Source]:
    t = Table(name, values, ("path", "batch_size", "pause_seconds"))
    path = Path(t.text("path", required=True) or "").expanduser()
    if not path.is_file():
        raise ConfigError(f"[sources.{name}]: path {path} is not a file")
    return [ReplaySource(path, name=name, batch_size=t.whole("batch_size", 500),
                         pause_seconds=t.number("pause_seconds", 0.0))]


BUILDERS: dict[str, Callable[[str, Mapping[str, Any], Mapping[str, Service]], list[Source]]] = {
    "reddit": _reddit, "mastodon": _mastodon, "bluesky": _bluesky, "statuspage": _statuspage,
    "rss": _rss, "probes": _probes, "replay": _replay,
}


def build_sources(settings: Settings, catalog: Iterable[Service]) -> list[Source]:
    """Every enabled source configured in ``settings.sources``, validated."""
    services = {service.slug: service for service in catalog}
    sources: list[Source] = []
    for name, values in sorted(settings.sources.items()):
        if not isinstance(values, dict):
            raise ConfigError(f"[sources.{name}] must be a table")
        kind = values.get("type", name)
        builder = BUILDERS.get(kind) if isinstance(kind, str) else None
        if builder is None:
            raise ConfigError(f"[sources.{name}]: unknown source type {kind!r} "
                              f"(known: {', '.join(sorted(BUILDERS))})")
        enabled = values.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"[sources.{name}]: enabled = {enabled!r} must be true or false")
        if enabled:
            sources += builder(name, values, services)
    names = [source.name for source in sources]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"two sources share the name(s) {', '.join(duplicated)}; "
                          "rename a [sources.*] table")
    return sources
