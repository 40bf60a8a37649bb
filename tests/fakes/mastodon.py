"""A fake Mastodon: public and hashtag timelines with ``min_id``/``since_id``/``max_id`` paging and
Link headers, and the public streaming API as server-sent events."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import Faults, with_faults


def _key(status_id: str) -> tuple[int, str]:
    return (len(status_id), status_id)


@dataclass
class FakeMastodon:
    statuses: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    stream_events: list[bytes] = field(default_factory=list)
    stream_close_after: int | None = None
    requests: list[str] = field(default_factory=list)
    _next_id: int = 113538012345670000

    def add_status(self, text: str, created_at: str, *, acct: str = "someone", tags: tuple[str, ...] = (),
                   reblog_of: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next_id += 1
        ident = str(self._next_id)
        status = {"id": ident, "created_at": created_at, "spoiler_text": "", "language": "en",
                  "uri": f"https://fake.social/users/{acct}/statuses/{ident}",
                  "url": f"https://fake.social/@{acct}/{ident}", "content": f"<p>{text}</p>",
                  "account": {"id": acct, "acct": acct, "username": acct},
                  "tags": [{"name": t} for t in tags], "reblog": reblog_of}
        self.statuses.append(status)
        return status

    async def timeline(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        tag = request.match_info.get("tag")
        pool = [s for s in self.statuses
                if tag is None or tag.lower() in [t["name"].lower() for t in s["tags"]]]
        pool.sort(key=lambda s: _key(s["id"]))
        limit = min(int(request.query.get("limit", 20)), 40)
        if "min_id" in request.query:  # the page just after min_id, oldest first, returned newest first
            page = [s for s in pool if _key(s["id"]) > _key(request.query["min_id"])][:limit]
        else:
            since = request.query.get("since_id")
            page = [s for s in pool if since is None or _key(s["id"]) > _key(since)][-limit:]
        page.reverse()
        headers = {}
        if page:
            base = f"{request.scheme}://{request.host}{request.path}"
            headers["Link"] = (f'<{base}?max_id={page[-1]["id"]}>; rel="next", '
                               f'<{base}?min_id={page[0]["id"]}>; rel="prev"')
        return web.json_response(page, headers=headers)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b":)\n\n")
        for index, chunk in enumerate(self.stream_events):
            if self.stream_close_after is not None and index >= self.stream_close_after:
                assert request.transport is not None
                request.transport.close()
                return response
            await response.write(chunk)
            await asyncio.sleep(0.01)
        await asyncio.sleep(3600)
        return response

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/timelines/public", with_faults(self.faults, "public", self.timeline))
        app.router.add_get("/api/v1/timelines/tag/{tag}", with_faults(self.faults, "tag", self.timeline))
        app.router.add_get("/api/v1/streaming/public", with_faults(self.faults, "stream", self.stream))
        return app


def sse_update(status: dict[str, Any]) -> bytes:
    import json

    return b"event: update\ndata: " + json.dumps(status).encode() + b"\n\n"
