"""The Now list shows a service only when it is worth a headline (api/headline.py), with figures a
journalist can quote: no ratio over an expected count near zero, no "1 reports", no "since" of a
service that is working."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.async_api import expect

from tests.browser.conftest import Dashboard, WatchedPage
from tests.browser.replayed_incident import HISTORY, iso, quiet_verdict, rewrite_scores, window_rows

HISTORY_START_SINCE = "2025-01-29T00:00:00Z"


def working(slug: str, dashboard: Dashboard, observed: float, expected: float,
            score: float) -> dict[str, Any]:
    story = dashboard.story
    return {**quiet_verdict(slug, story), "observed": observed, "expected": expected,
            "ratio": round(observed / expected, 2), "score": score, "since": HISTORY_START_SINCE}


async def test_only_news_is_listed_with_quotable_figures(dashboard: Dashboard, page: WatchedPage) -> None:
    story = dashboard.story
    # Gmail: one report against 0.032 expected, improbable (score 0.999) and "31x normal": not news.
    await rewrite_scores(dashboard.database_url, window_rows("gmail", story, [1.0], 0.032))
    # Sky: working, but three times its usual count for fifteen minutes (405 against 135): a rise.
    await rewrite_scores(dashboard.database_url, window_rows("sky", story, [27.0] * 15, 9.0))
    # Virgin Media: degraded by its status page, from a single report: news, with no ratio to print.
    await rewrite_scores(dashboard.database_url,
                         window_rows("virgin-media", story, [1.0], 0.05, status="degraded"))
    dashboard.board.publish({
        "gmail": working("gmail", dashboard, 1.0, 0.032, 0.999),
        "sky": working("sky", dashboard, 27.0, 9.0, 0.9),
        "virgin-media": {**quiet_verdict("virgin-media", story, status="degraded"), "observed": 1.0,
                         "expected": 0.05, "ratio": 20.0, "since": iso(story.now - timedelta(minutes=9))},
    }, story.now + timedelta(seconds=1))

    await page.page.goto(dashboard.url("/"))
    items = page.page.locator(".now-item")
    await expect(items).to_have_count(4)
    slugs = await items.evaluate_all("nodes => nodes.map(n => n.dataset.slug)")
    assert slugs == ["bt", "virgin-media", "talktalk", "sky"]  # alarms first, then by the rise's size
    await expect(page.page.locator(".now-item[data-slug=gmail]")).to_have_count(0)

    sky = page.page.locator(".now-item[data-slug=sky]")
    await expect(sky).to_have_attribute("data-why", "rise")
    await expect(sky.locator(".badge")).to_have_text("Working")
    await expect(sky.locator(".now-facts")).to_have_text(
        "3× normal · reports rising · 405 reports in the last 15 minutes (usually about 135)")
    await expect(sky.locator("time")).to_have_count(0)  # "Working since <the start of history>" is noise

    virgin = page.page.locator(".now-item[data-slug=virgin-media]")
    await expect(virgin.locator(".badge")).to_have_text("Degraded")
    await expect(virgin.locator(".times")).to_have_count(0)
    await expect(virgin.locator(".window")).to_have_text(
        "1 report in the last 15 minutes (usually fewer than 1)")

    text = await page.page.inner_text("main")
    assert not re.search(r"(?<![\d,.])1 reports", text) and "(usual 0)" not in text
    oldest = story.now - HISTORY
    for stamp in await page.page.locator("main time").evaluate_all("nodes => nodes.map(n => n.dateTime)"):
        assert stamp >= iso(oldest).replace("Z", ".000Z"), f"a time before the data's history: {stamp}"
    page.assert_no_errors()
