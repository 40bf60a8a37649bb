"""The incidents history and the embeddable widget in a real Chromium; the phone layout; keyboard use."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import expect

from tests.browser.conftest import Dashboard, WatchedPage
from tests.browser.replayed_incident import iso, quiet_verdict


async def test_incidents_are_listed_newest_first_and_filtered_by_the_url(dashboard: Dashboard,
                                                                        page: WatchedPage) -> None:
    await page.page.goto(dashboard.url("/incidents"))
    rows = page.page.locator("table.incidents tbody tr")
    await expect(rows).to_have_count(2)
    assert await rows.evaluate_all("rows => rows.map(r => r.dataset.service)") == ["bt", "sky"]
    await expect(rows.first).to_contain_text("down, ongoing")
    await expect(rows.nth(1)).to_contain_text("1 h 15 min")
    cells = rows.first.locator("td")
    await expect(cells.nth(5)).to_have_text("Signing in 40%, Billing & account 22%, Email 20%")
    await expect(cells.nth(6)).to_have_text("London (610), Manchester (204), Birmingham (198)")
    await page.screenshot("incidents")

    await page.page.get_by_label("Category").select_option("broadband")
    await page.page.get_by_role("button", name="Filter").click()
    await expect(page.page).to_have_url(dashboard.url("/incidents?category=broadband"))
    await expect(rows).to_have_count(2)
    await page.page.get_by_label("Service", exact=True).select_option("sky")
    await page.page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-service", "sky")

    day_after = (dashboard.story.now + timedelta(days=1)).strftime("%Y-%m-%d")
    await page.page.goto(dashboard.url(f"/incidents?from={day_after}"))
    await expect(rows).to_have_count(1)  # the ongoing one overlaps any later date
    await expect(rows.first).to_have_attribute("data-service", "bt")
    days_before = (dashboard.story.now - timedelta(days=3)).strftime("%Y-%m-%d")
    await page.page.goto(dashboard.url(f"/incidents?to={days_before}"))
    await expect(page.page.locator("#incidents-status")).to_contain_text("No incident matches")
    await page.page.goto(dashboard.url("/incidents?country=US"))
    await expect(rows).to_have_count(0)
    page.assert_no_errors()


async def test_the_widget_renders_and_follows_the_live_status(dashboard: Dashboard,
                                                              page: WatchedPage) -> None:
    response = await page.page.goto(dashboard.url("/embed/talktalk"))
    assert response is not None and "frame-ancestors *" in response.headers["content-security-policy"]
    state = page.page.locator("[data-role=status]")
    await expect(state).to_have_text("Degraded")
    # The widget quotes what the service page's header quotes: TalkTalk's stored window is near its
    # usual level, so the rule prints the window, not the latest minute's 3.2x.
    facts = page.page.locator(".facts")
    window_words = re.compile(r"^\d+ reports in the last 15 minutes \(usually about \d+\)")
    await expect(facts).to_contain_text(window_words)
    assert "×" not in (await facts.inner_text())
    await page.page.set_viewport_size({"width": 340, "height": 150})
    story = dashboard.story
    dashboard.board.publish({"talktalk": {**quiet_verdict("talktalk", story),
                                          "updated_at": iso(story.now + timedelta(seconds=30))}},
                            story.now + timedelta(seconds=30))
    await expect(state).to_have_text("Working")
    await expect(facts).to_have_text("No unusual activity")
    await page.page.goto(dashboard.url("/embed/bt"))
    await expect(page.page.locator("[data-role=status]")).to_have_text("Down")
    await page.page.goto(dashboard.url("/s/bt"))
    header_times = await page.page.locator(".headline .times").inner_text()
    await page.page.goto(dashboard.url("/embed/bt"))
    await expect(page.page.locator(".facts")).to_contain_text(header_times)
    await page.screenshot("widget", full_page=False)
    page.assert_no_errors()


async def test_the_service_page_offers_the_widget_snippet(dashboard: Dashboard, page: WatchedPage) -> None:
    await page.page.goto(dashboard.url("/s/bt"))
    code = await page.page.locator("#embed-code").input_value()
    assert code.startswith(f'<iframe src="{dashboard.url("/embed/bt")}"')
    preview = page.page.frame_locator("#embed iframe")
    await expect(preview.locator("[data-role=status]")).to_have_text("Down")
    page.assert_no_errors()


async def test_on_a_phone_the_views_fit_the_screen(dashboard: Dashboard, phone: WatchedPage) -> None:
    for path, name in (("/", "phone-now"), ("/s/bt", "phone-service")):
        await phone.page.goto(dashboard.url(path))
        await expect(phone.page.locator("main h1")).to_be_visible()
        await expect(phone.page.locator(".now-item, #chart svg.chart").first).to_be_visible()
        overflow = await phone.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        await phone.screenshot(name)
    title = await phone.page.locator(".service-head time").first.get_attribute("title")
    assert title is not None and title.endswith("UTC")
    phone.assert_no_errors()


async def test_keyboard_reaches_search_and_the_views(dashboard: Dashboard, page: WatchedPage) -> None:
    await page.page.goto(dashboard.url("/"))
    await expect(page.page.locator(".now-item").first).to_be_visible()
    await page.page.keyboard.press("Tab")
    assert await page.page.evaluate("document.activeElement.textContent") == "Skip to content"
    focused = []
    for _ in range(6):
        await page.page.keyboard.press("Tab")
        focused.append(await page.page.evaluate(
            "document.activeElement.id || document.activeElement.textContent.trim()"))
    assert focused == ["downwatch", "Now", "Incidents", "API", "search", "BT"]
    outline = await page.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    await page.page.keyboard.press("Enter")
    await expect(page.page).to_have_url(dashboard.url("/s/bt"))
    page.assert_no_errors()
