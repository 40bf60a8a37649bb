"""The dashboard's HTTP side without a browser: pages, versioned assets and caching, data routes."""

from __future__ import annotations

import gzip
import re

import aiohttp

from tests.browser.conftest import Dashboard
from tests.browser.replayed_incident import WINDOW, score_rows, usual


async def fetch(dashboard: Dashboard, path: str, **headers: str) -> tuple[aiohttp.ClientResponse, bytes]:
    async with aiohttp.ClientSession(auto_decompress=False) as session, \
            session.get(dashboard.url(path), headers=headers, allow_redirects=False) as response:
        return response, await response.read()


async def test_pages_share_one_shell_with_versioned_assets(dashboard: Dashboard) -> None:
    shells = []
    for path in ("/", "/incidents", "/s/bt?range=7d"):
        response, body = await fetch(dashboard, path)
        assert response.status == 200 and response.content_type == "text/html"
        assert response.headers["Cache-Control"] == "no-cache"
        assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
        shells.append(body)
    assert shells[0] == shells[1] == shells[2]
    html = shells[0].decode()
    assert "__ASSETS__" not in html and 'data-bucket-seconds="60"' in html
    assert re.search(r'src="/static/[0-9a-f]{16}/js/app\.js"', html)

    response, _ = await fetch(dashboard, "/", **{"If-None-Match": response.headers["ETag"]})
    assert response.status == 304
    response, _ = await fetch(dashboard, "/s/nothing-by-this-name")
    assert response.status == 404 and response.content_type == "text/html"
    response, _ = await fetch(dashboard, "/embed/nothing-by-this-name")
    assert response.status == 404


async def test_assets_are_cached_for_a_year_compressed_and_revalidated(dashboard: Dashboard) -> None:
    _, shell = await fetch(dashboard, "/")
    match = re.search(rb'href="(/static/[0-9a-f]{16})/style\.css"', shell)
    assert match is not None
    base = match.group(1).decode()
    response, body = await fetch(dashboard, f"{base}/js/app.js", **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"navigate" in gzip.decompress(body)
    response, _ = await fetch(dashboard, f"{base}/js/app.js", **{"If-None-Match": response.headers["ETag"]})
    assert response.status == 304

    response, plain = await fetch(dashboard, "/static/0000000000000000/style.css",
                                  **{"Accept-Encoding": "identity"})
    assert response.status == 200 and response.headers["Cache-Control"] == "no-cache"
    assert b"--down" in plain and "Content-Encoding" not in response.headers
    for missing in (f"{base}/nothing.js", f"{base}/index.html", f"{base}/../app.py"):
        response, _ = await fetch(dashboard, missing)
        assert response.status == 404, missing


async def test_now_data_ranks_unusual_services_with_sparklines(dashboard: Dashboard) -> None:
    response, _ = await fetch(dashboard, "/dashboard/data/now?hours=3")
    assert response.status == 200
    async with aiohttp.ClientSession() as session, \
            session.get(dashboard.url("/dashboard/data/now?hours=3")) as answer:
        body = await answer.json()
    assert [entry["slug"] for entry in body["services"]] == ["bt", "talktalk"]
    assert body["step"] == 300 and body["bucket_seconds"] == 60
    bt = body["services"][0]
    story = dashboard.story
    expected_ratio = round(0.78 * story.peak_count / usual(11.0, story.now, story.now), 2)
    assert bt["status"] == "down" and bt["ratio"] == expected_ratio and bt["ratio"] > 15
    assert len(bt["spark"]) == 36
    assert max(point["observed"] for point in bt["spark"]) > 20 * bt["spark"][0]["observed"]

    # The busiest: every service with reports in the latest window, most first, with the window's sums
    # as stored, and a ratio only where the headline rule allows one (BT's rise, not the quiet ones).
    window: dict[str, list[float]] = {}
    for row in score_rows(story):
        if story.now - WINDOW < row.bucket <= story.now:
            sums = window.setdefault(row.service, [0.0, 0.0])
            sums[0] += row.observed
            sums[1] += row.expected
    busiest = body["busiest"]
    assert [e["slug"] for e in busiest] == sorted(window, key=lambda slug: (-window[slug][0], slug))
    for entry in busiest:
        observed, expected = window[entry["slug"]]
        assert abs(entry["headline"]["observed"] - observed) < 1e-6
        assert abs(entry["headline"]["expected"] - expected) < 1e-3
        assert (entry["headline"]["ratio"] is not None) == (entry["slug"] == "bt")
        assert entry["spark"] and body["window_seconds"] == WINDOW.total_seconds()

    response, problem = await fetch(dashboard, "/dashboard/data/now?hours=400")
    assert response.status == 400 and response.content_type == "application/problem+json"
    assert b"hours=400 is out of range" in problem


async def test_service_data_has_the_evidence_and_refuses_bad_ranges(dashboard: Dashboard) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(dashboard.url("/dashboard/data/services/bt")) as answer:
            body = await answer.json()
        assert [change["to"] for change in body["changes"]] == ["degraded", "down"]
        assert next(iter(body["problems"])) == "login"
        assert body["locations"][0]["location"] == "London"
        assert body["kinds"]["report"] > body["kinds"]["post"] > 0
        assert all(post["url"].startswith("https://social.example/") for post in body["evidence"])
        assert all("author" not in key for post in body["evidence"] for key in post)
        assert body["incident"]["id"] == dashboard.bt_incident_id
        assert "Reports peaked at 412 a minute" in body["incident"]["summary"]
        assert body["official"]["disagrees"] is True
        # The page's header and crowd card read one verdict and the headline rule's words about it.
        assert body["verdict"]["status"] == "down" == dashboard.board.verdict("bt")["status"]
        assert body["headline"]["news"] is True and body["headline"]["why"] == "alarm"
        assert body["headline"]["since"] == body["verdict"]["since"] and body["headline"]["ratio"] > 15

        async with session.get(dashboard.url("/dashboard/data/services/gmail")) as answer:
            quiet = await answer.json()
        assert quiet["incident"] is None and quiet["evidence"] == []
        assert quiet["official"]["disagrees"] is False
        assert quiet["headline"]["news"] is False and quiet["headline"]["ratio"] is None
        assert quiet["headline"]["since"] is None

        for query, words in (("from=yesterday", "not an ISO-8601 time"),
                             ("from=2025-02-04T10:00:00Z&to=2025-02-04T09:00:00Z", "earlier than to"),
                             ("from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", "more than 31 days"),
                             ("limit=3", "unknown query parameter")):
            async with session.get(dashboard.url(f"/dashboard/data/services/bt?{query}")) as answer:
                assert answer.status == 400, query
                assert words in (await answer.json(content_type=None))["detail"], query
        async with session.get(dashboard.url("/dashboard/data/services/btt")) as answer:
            assert answer.status == 404
            assert "bt" in (await answer.json(content_type=None))["detail"]


async def test_the_headline_route_gives_the_widget_the_service_page_s_figures(dashboard: Dashboard) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(dashboard.url("/dashboard/data/headline/bt")) as answer:
            assert answer.status == 200
            headline = await answer.json()
        async with session.get(dashboard.url("/dashboard/data/services/bt")) as answer:
            page = await answer.json()
        assert headline["verdict"] == page["verdict"] and headline["headline"] == page["headline"]
        assert headline["name"] == "BT" and headline["headline"]["ratio"] > 15
        async with session.get(dashboard.url("/dashboard/data/headline/bt?from=now")) as answer:
            assert answer.status == 400 and answer.content_type == "application/problem+json"
        async with session.get(dashboard.url("/dashboard/data/headline/no-such-service")) as answer:
            assert answer.status == 404 and answer.content_type == "application/problem+json"
