"""The Now view in a real Chromium: ranking, sparklines, live updates over SSE, search."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from tests.browser.conftest import Dashboard, WatchedPage
from tests.browser.replayed_incident import iso, quiet_verdict, rewrite_scores, window_rows


async def test_now_lists_the_failing_service_first(dashboard: Dashboard, page: WatchedPage) -> None:
    await page.page.goto(dashboard.url("/"))
    items = page.page.locator(".now-item")
    await expect(items.first).to_have_attribute("data-slug", "bt")
    slugs = await items.evaluate_all("nodes => nodes.map(n => n.dataset.slug)")
    assert slugs == ["bt", "talktalk"]
    first = items.first
    await expect(first.locator(".badge")).to_have_text("Down")
    await expect(first.locator(".times")).to_contain_text("× normal")
    since = first.locator("time")
    detected = dashboard.story.detected.isoformat().replace("+00:00", ".000Z")
    assert await since.get_attribute("datetime") == detected
    assert (await since.get_attribute("title") or "").endswith("UTC")
    spark = first.locator("svg.spark path[data-series=observed]")
    assert (await spark.get_attribute("d") or "").count("L") > 20
    assert "peak" in (await first.locator("svg.spark").get_attribute("aria-label") or "")
    await page.screenshot("now")
    page.assert_no_errors()


async def test_a_verdict_change_arrives_live_without_a_reload(dashboard: Dashboard,
                                                               page: WatchedPage) -> None:
    await page.page.goto(dashboard.url("/"))
    await expect(page.page.locator(".now-item").first).to_have_attribute("data-slug", "bt")
    await expect(page.page.locator("#connection")).to_have_attribute("data-state", "open")
    await page.page.evaluate("window.__sameDocument = true")

    story = dashboard.story
    ee_down = {**quiet_verdict("ee", story, status="down", ratio=20.0), "since": iso(story.now),
               "updated_at": iso(story.now + timedelta(seconds=10))}
    expected = ee_down["expected"]
    await rewrite_scores(dashboard.database_url,
                         window_rows("ee", story, [20.0 * expected] * 15, expected, status="down"))
    dashboard.board.publish({"ee": ee_down}, story.now + timedelta(seconds=10))

    ee = page.page.locator(".now-item[data-slug=ee]")
    await expect(ee.locator(".badge")).to_have_text("Down")
    await expect(ee.locator(".times")).to_have_text("20× normal")
    slugs = await page.page.locator(".now-item").evaluate_all("nodes => nodes.map(n => n.dataset.slug)")
    assert slugs == ["bt", "ee", "talktalk"]
    await expect(page.page.locator("#live")).to_contain_text("EE is now down")
    assert await page.page.evaluate("window.__sameDocument") is True

    recovered = quiet_verdict("talktalk", story)
    dashboard.board.publish({"talktalk": recovered}, story.now + timedelta(seconds=15))
    await expect(page.page.locator(".now-item[data-slug=talktalk]")).to_have_count(0)
    await expect(page.page.locator("#live")).to_contain_text("TalkTalk is now working")
    assert await page.page.evaluate("window.__sameDocument") is True
    page.assert_no_errors()


async def test_search_suggests_services_by_alias_and_opens_the_page(dashboard: Dashboard,
                                                                    page: WatchedPage) -> None:
    await page.page.goto(dashboard.url("/"))
    search = page.page.get_by_role("combobox", name="Find a service")
    await search.fill("british tele")
    option = page.page.locator("#search-options [role=option]").first
    await expect(option).to_have_attribute("data-slug", "bt")
    await expect(search).to_have_attribute("aria-expanded", "true")
    await search.press("ArrowDown")
    await expect(option).to_have_attribute("aria-selected", "true")
    await search.press("Enter")
    await expect(page.page).to_have_url(dashboard.url("/s/bt"))
    await expect(page.page.locator("h1")).to_contain_text("BT")
    page.assert_no_errors()
