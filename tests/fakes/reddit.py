"""A fake Reddit for the real praw: the OAuth token endpoint and Listing JSON for new posts,
new comments and search, with Reddit's rate-limit headers."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import Faults, with_faults

RATE_HEADERS = {"x-ratelimit-remaining": "599", "x-ratelimit-used": "1", "x-ratelimit-reset": "0"}


@dataclass
class FakeReddit:
    posts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    client_id: str = "id"
    client_secret: str = "secret"
    requests: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def add_post(self, subreddit: str, title: str, created_utc: float, *, selftext: str = "",
                 author: str = "someone") -> str:
        ident = f"p{next(self._ids):05d}"
        self.posts.setdefault(subreddit, []).append({"kind": "t3", "data": {
            "id": ident, "name": f"t3_{ident}", "title": title, "selftext": selftext, "author": author,
            "subreddit": subreddit, "created_utc": created_utc, "is_self": True,
            "permalink": f"/r/{subreddit}/comments/{ident}/x/"}})
        return f"t3_{ident}"

    def add_comment(self, subreddit: str, body: str, created_utc: float, *, author: str = "someone") -> str:
        ident = f"c{next(self._ids):05d}"
        self.comments.setdefault(subreddit, []).append({"kind": "t1", "data": {
            "id": ident, "name": f"t1_{ident}", "body": body, "author": author, "subreddit": subreddit,
            "created_utc": created_utc, "link_id": "t3_p00001",
            "permalink": f"/r/{subreddit}/comments/p00001/x/{ident}/"}})
        return f"t1_{ident}"

    @staticmethod
    def _listing(things: list[dict[str, Any]], limit: int) -> web.Response:
        newest_first = sorted(things, key=lambda t: t["data"]["created_utc"], reverse=True)[:limit]
        body = {"kind": "Listing", "data": {"after": None, "before": None, "dist": len(newest_first),
                                            "modhash": "", "geo_filter": "", "children": newest_first}}
        return web.json_response(body, headers=RATE_HEADERS)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.requests.append(f"token {form.get('grant_type')!s}")
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization") == expected:
            return web.json_response({"access_token": "fake-token", "token_type": "bearer",
                                      "expires_in": 86400, "scope": "*"}, headers=RATE_HEADERS)
        return web.json_response({"error": "invalid_grant"}, status=401)

    async def new(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        return self._listing(self.posts.get(request.match_info["sub"], []),
                             int(request.query.get("limit", 25)))

    async def new_comments(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        return self._listing(self.comments.get(request.match_info["sub"], []),
                             int(request.query.get("limit", 25)))

    async def search(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        sub = request.match_info["sub"]
        query = request.query.get("q", "").lower()
        pool = [t for name, things in self.posts.items() if sub in ("all", name) for t in things]
        found = [t for t in pool if query in (t["data"]["title"] + " " + t["data"]["selftext"]).lower()]
        return self._listing(found, int(request.query.get("limit", 25)))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/access_token", with_faults(self.faults, "token", self.token))
        app.router.add_get("/r/{sub}/new", with_faults(self.faults, "new", self.new))
        app.router.add_get("/r/{sub}/comments", with_faults(self.faults, "comments", self.new_comments))
        app.router.add_get("/r/{sub}/search/", with_faults(self.faults, "search", self.search))
        return app
