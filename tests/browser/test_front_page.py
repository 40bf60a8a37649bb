"""The front page in a real Chromium is useful when nothing is down: the most reported services against
their usual level (ranked as the stored scores say, with sparklines, no ratio that is not news), the
latest incidents on the data's clock, and the map of where reports come from across every service."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

from playwright.async_api import expect

from tests.browser.conftest import Dashboard, WatchedPage
from tests.browser.replayed_incident import (
    QUIET,
    WINDOW,
    incidents,
    quiet_verdict,
    rewrite_scores,
    score_rows,
    usual,
    window_rows,
)
from tests.browser.test_map import route_answer

BUSY = "#busiest .busy-item"
FRONT_CIRCLES = "#front-map svg.map circle[data-place]"


def window_ranking(dashboard: Dashboard) -> list[str]:
    """Services by reports scored over the latest window, most first, from the seeded rows."""
    story = dashboard.story
    totals: dict[str, float] = defaultdict(float)
    for row in score_rows(story):
        if story.now - WINDOW < row.bucket <= story.now:
            totals[row.service] += row.observed
    return sorted(totals, key=lambda slug: (-totals[slug], slug))


async def test_the_front_page_ranks_the_most_reported_services_and_lists_the_latest(
        dashboard: Dashboard, page: WatchedPage) -> None:
    async with page.page.expect_response(lambda r: "/dashboard/data/locations" in r.url) as located:
        await page.page.goto(dashboard.url("/"))
    busy = page.page.locator(BUSY)
    await expect(busy).to_have_count(len(QUIET) + 1)
    slugs = await busy.evaluate_all("nodes => nodes.map(n => n.dataset.slug)")
    assert slugs == window_ranking(dashboard) and slugs[0] == "bt"
    assert await page.page.locator(f"{BUSY} svg.spark").count() == len(slugs)

    bt = page.page.locator(f"{BUSY}[data-slug=bt]")
    await expect(bt.locator(".times")).to_have_text(re.compile(r"^\d+× normal$"))
    for slug in QUIET:  # each within its usual level: described, never given a ratio
        quiet = page.page.locator(f"{BUSY}[data-slug={slug}]")
        await expect(quiet.locator(".times")).to_have_count(0)
        await expect(quiet.locator(".window")).to_have_text(
            re.compile(r"^[\d,]+ reports? in the last 15 minutes \(usually about [\d,]+\)$"))

    latest = page.page.locator("#latest-incidents .latest-item")
    await expect(latest).to_have_count(len(incidents(dashboard.story)))
    assert await latest.evaluate_all("nodes => nodes.map(n => n.dataset.service)") == ["bt", "sky"]
    story = dashboard.story
    ongoing = (story.now - story.onset) // timedelta(minutes=1)
    await expect(latest.first.locator("[data-role=duration]")).to_have_text(
        re.compile(rf"^({ongoing // 60} h )?{ongoing % 60} min so far$"))
    await expect(latest.nth(1).locator("[data-role=duration]")).to_have_text("lasted 1 h 15 min")

    data = await route_answer(dashboard, (await located.value).url)
    await expect(page.page.locator(FRONT_CIRCLES).first).to_be_attached()
    drawn = await page.page.locator(FRONT_CIRCLES).evaluate_all(
        "nodes => nodes.map(n => [n.dataset.place, Number(n.dataset.n)])")
    assert dict(drawn) == {p["name"]: p["n"] for p in data["places"]} and data["total"] > 0
    await page.screenshot("front-page")
    page.assert_no_errors()


async def test_when_nothing_is_unusual_the_front_page_still_says_what_people_report(
        dashboard: Dashboard, page: WatchedPage) -> None:
    story = dashboard.story
    usual_bt = usual(11.0, story.now, story.now)
    await rewrite_scores(dashboard.database_url, window_rows("bt", story, [usual_bt] * 15, usual_bt))
    quiet = {slug: quiet_verdict(slug, story) for slug in QUIET}
    quiet["bt"] = {**quiet_verdict("ee", story), "observed": usual_bt, "expected": usual_bt,
                   "explanation": "BT within its usual level"}
    dashboard.board.publish(quiet, story.now + timedelta(seconds=1))

    await page.page.goto(dashboard.url("/"))
    await expect(page.page.locator(".lede").first).to_have_text(
        "Nothing unusual right now: every service downwatch follows is within its usual level.")
    await expect(page.page.locator(".now-item")).to_have_count(0)
    await expect(page.page.locator(BUSY)).to_have_count(len(QUIET) + 1)
    await expect(page.page.locator(f"{BUSY} .times")).to_have_count(0)
    await expect(page.page.locator("#latest-incidents .latest-item")).to_have_count(2)
    await expect(page.page.locator(FRONT_CIRCLES).first).to_be_attached()
    page.assert_no_errors()


async def test_a_table_png_is_dated_by_the_data_not_the_reader_s_clock(dashboard: Dashboard,
                                                                      page: WatchedPage) -> None:
    await page.page.add_init_script("""
      window.drawnTexts = [];
      const fill = CanvasRenderingContext2D.prototype.fillText;
      CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
        window.drawnTexts.push(String(text));
        return fill.call(this, text, ...rest);
      };""")
    await page.page.goto(dashboard.url("/"))
    await expect(page.page.locator(BUSY).first).to_be_visible()
    async with page.page.expect_download():
        await page.page.locator("#busiest [data-export=png]").click()
    texts: list[str] = await page.page.evaluate("window.drawnTexts")
    footer = next(text for text in texts if text.startswith("Source: downwatch"))
    assert footer.endswith(f"data as of {dashboard.story.now:%Y-%m-%d %H:%M} UTC")
    page.assert_no_errors()
