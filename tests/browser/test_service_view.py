"""A service page in a real Chromium: the chart, the story, the official gap, exports, live header."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
from playwright.async_api import expect

from tests.browser.conftest import Dashboard, WatchedPage
from tests.browser.replayed_incident import iso, quiet_verdict, rewrite_scores, window_rows


async def test_chart_draws_observed_and_expected_with_incident_and_changes(dashboard: Dashboard,
                                                                           page: WatchedPage) -> None:
    await page.page.goto(dashboard.url("/s/bt"))
    chart = page.page.locator("#chart svg.chart")
    observed = chart.locator("path[data-series=observed]")
    expected = chart.locator("path[data-series=expected]")
    await expect(observed).to_have_attribute("data-points", "288")
    await expect(expected).to_have_attribute("data-points", "288")
    assert (await observed.get_attribute("d") or "").count("L") == 287
    assert (await expected.get_attribute("d") or "").count("L") == 287
    await expect(chart.locator("[data-mark=incident]")).to_have_count(1)
    await expect(chart.locator("[data-mark=change]")).to_have_count(2)
    caption = page.page.locator("#chart figcaption")
    await expect(caption).to_contain_text("reports peaked at")
    assert await chart.get_attribute("role") == "img"

    await expect(page.page.locator("h1 [data-role=status]")).to_have_text("Down")
    await expect(page.page.locator(".gap.disagree")).to_contain_text(
        "The crowd says BT is DOWN; the official status page says All Systems Operational")
    summary = page.page.locator("[data-role=summary]")
    await expect(summary).to_contain_text(
        f"Reports peaked at 412 a minute at {dashboard.story.peak_at:%H:%M} UTC")
    await expect(summary).to_contain_text("times the usual level for a")
    await expect(summary).to_contain_text(
        "Most reports are about signing in (40%), billing and accounts (22%) and email (20%).")
    await expect(summary).to_contain_text("The most reports come from London, Manchester and Birmingham.")
    await expect(page.page.locator(".timeline li")).to_have_count(4)
    await expect(page.page.locator("#problems tbody tr").first).to_contain_text("Signing in")
    await expect(page.page.locator("#places tbody tr").first).to_contain_text("London")
    posts = page.page.locator("#evidence .posts li")
    await expect(posts).to_have_count(20)
    await expect(posts.nth(5)).to_be_visible()
    await expect(posts.nth(6)).to_be_hidden()
    newest = posts.first.locator("a")
    await expect(newest).to_have_attribute("href", "https://social.example/@user10/9410")
    await expect(posts.first).to_contain_text("(94:10)")
    await page.screenshot("service")
    page.assert_no_errors()


async def test_chart_csv_export_has_the_numbers_the_api_gives(dashboard: Dashboard,
                                                              page: WatchedPage) -> None:
    async with page.page.expect_response(lambda r: "/timeline?" in r.url) as timeline_response:
        await page.page.goto(dashboard.url("/s/bt"))
    asked = (await timeline_response.value).url
    await expect(page.page.locator("#chart path[data-series=observed]")).to_have_count(1)
    async with page.page.expect_download() as download_info:
        await page.page.locator("#chart [data-export=csv]").click()
    download = await download_info.value
    assert download.suggested_filename == "bt-timeline.csv"
    rows = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text())))

    query = {key: values[0] for key, values in parse_qs(urlsplit(asked).query).items()}
    assert query["step"] == "300"
    async with aiohttp.ClientSession() as session, \
            session.get(dashboard.url("/v1/services/bt/timeline"), params=query) as response:
        points = (await response.json())["points"]
    assert len(rows) == len(points) == 288
    for row, point in zip(rows, points, strict=True):
        assert row["t"] == point["t"]
        assert float(row["observed"]) == point["observed"]
        assert float(row["expected"]) == point["expected"]
        assert float(row["score"]) == point["score"]
        assert row["status"] == point["status"]

    async with page.page.expect_download() as png_info:
        await page.page.locator("#chart [data-export=png]").click()
    png = Path(await (await png_info.value).path()).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    page.assert_no_errors()


async def test_table_exports_and_permalinked_ranges(dashboard: Dashboard, page: WatchedPage) -> None:
    await page.page.goto(dashboard.url("/s/bt?range=7d"))
    await expect(page.page.locator(".range[aria-current=true]")).to_have_text("7 days")
    weekly = page.page.locator("#chart path[data-series=observed]")
    # 24 h of history at 30-minute steps
    await expect(weekly).to_have_attribute("data-points", re.compile(r"^4[89]$"))
    async with page.page.expect_download() as download_info:
        await page.page.locator("#places [data-export=csv]").click()
    places = list(csv.DictReader(io.StringIO(Path(await (await download_info.value).path()).read_text())))
    assert places[0]["location"] == "London"
    shown = await page.page.locator("#places tbody tr th").all_inner_texts()
    assert [row["location"] for row in places] == shown

    start = dashboard.story.onset - timedelta(minutes=30)
    end = dashboard.story.onset + timedelta(minutes=60)
    await page.page.goto(dashboard.url(f"/s/bt?range=custom&from={iso(start)}&to={iso(end)}"))
    custom = page.page.locator("#chart path[data-series=observed]")
    await expect(custom).to_have_attribute("data-points", "90")
    await expect(page.page.locator(".custom-range button")).to_have_attribute("aria-current", "true")
    page.assert_no_errors()


async def same_state_in_header_and_crowd_card(page: WatchedPage, word: str) -> None:
    await expect(page.page.locator("h1 [data-role=status]")).to_have_text(word)
    await expect(page.page.locator("[data-role=crowd-status]")).to_have_text(word)


async def test_the_service_header_follows_the_live_verdict(dashboard: Dashboard, page: WatchedPage) -> None:
    story = dashboard.story
    await page.page.goto(dashboard.url("/s/talktalk"))
    await same_state_in_header_and_crowd_card(page, "Degraded")
    await expect(page.page.locator("#connection")).to_have_attribute("data-state", "open")
    # Twelve times its usual count over the whole window: a rise the headline rule lets the page quote.
    rises = window_rows("talktalk", story, [48.0] * 15, 4.0, status="down")
    await rewrite_scores(dashboard.database_url, rises)
    dashboard.board.publish({"talktalk": {**quiet_verdict("talktalk", story, status="down", ratio=12.0),
                                          "updated_at": iso(story.now + timedelta(seconds=20))}},
                            story.now + timedelta(seconds=20))
    await same_state_in_header_and_crowd_card(page, "Down")
    await expect(page.page.locator(".headline .times")).to_have_text("12× normal")
    await expect(page.page.locator("[data-role=crowd-figure]")).to_have_text("12× normal")
    await expect(page.page.locator("#live")).to_contain_text("TalkTalk is now down")
    page.assert_no_errors()


async def test_a_single_report_on_a_quiet_service_is_no_headline_on_its_page(dashboard: Dashboard,
                                                                             page: WatchedPage) -> None:
    story = dashboard.story
    # One report against 0.032 expected is "31x normal" by arithmetic and nothing a reporter should quote.
    await rewrite_scores(dashboard.database_url, window_rows("gmail", story, [1.0], 0.032))
    dashboard.board.publish({"gmail": {**quiet_verdict("gmail", story), "observed": 1.0, "expected": 0.032,
                                       "ratio": 31.25, "since": "2025-01-29T00:00:00Z"}},
                            story.now + timedelta(seconds=1))
    await page.page.goto(dashboard.url("/s/gmail"))
    await same_state_in_header_and_crowd_card(page, "Working")
    await expect(page.page.locator("[data-role=crowd-figure]")).to_have_text(
        "1 report in the last 15 minutes (usually fewer than 1)")
    await expect(page.page.locator(".headline .times")).to_have_count(0)
    await expect(page.page.locator(".headline time")).to_have_count(0)  # no "Working since <history start>"
    assert "31" not in await page.page.inner_text(".service-head")
    page.assert_no_errors()


async def test_an_unknown_service_page_says_so(dashboard: Dashboard, page: WatchedPage) -> None:
    response = await page.page.goto(dashboard.url("/s/no-such-thing"))
    assert response is not None and response.status == 404
    await expect(page.page.locator("h1")).to_have_text("No such service")
