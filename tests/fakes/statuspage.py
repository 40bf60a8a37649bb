"""A fake status host: an Atlassian Statuspage ``/api/v2/summary.json`` and an RSS history feed
(with ETag), serving recorded payloads, plus plain web pages for probes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.server import Faults, with_faults


@dataclass
class FakeStatusHost:
    summary: bytes = b""
    feed: bytes = b""
    feed_etag: str = '"v1"'
    pages: dict[str, int] = field(default_factory=dict)
    slow_pages: dict[str, float] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    requests: list[tuple[str, str]] = field(default_factory=list)

    async def summary_json(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, request.headers.get("User-Agent", "")))
        return web.Response(body=self.summary, content_type="application/json")

    async def history_rss(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, request.headers.get("If-None-Match", "")))
        if request.headers.get("If-None-Match") == self.feed_etag:
            return web.Response(status=304, headers={"ETag": self.feed_etag})
        return web.Response(body=self.feed, content_type="application/rss+xml",
                            headers={"ETag": self.feed_etag})

    async def page(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        self.requests.append((path, request.headers.get("User-Agent", "")))
        if path in self.slow_pages:
            await asyncio.sleep(self.slow_pages[path])
        status = self.pages.get(path, 404)
        return web.Response(status=status, text=f"<html><body>{status}</body></html>",
                            content_type="text/html")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v2/summary.json", with_faults(self.faults, "summary", self.summary_json))
        app.router.add_get("/history.rss", with_faults(self.faults, "feed", self.history_rss))
        app.router.add_get("/{tail:.*}", self.page)
        return app
