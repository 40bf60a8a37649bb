"""The dashboard over the real demo: the scenario's history and outage run through the real pipeline
and detector (``downwatch.runtime.demo.DemoSystem``), stepped by the test, watched in a real Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from downwatch.config import Settings
from downwatch.runtime.demo import DemoSystem
from tests.browser.conftest import WatchedPage, watched_page
from tests.browser.test_data_clock import assert_possible

HISTORY_DAYS = 2


@pytest.fixture
async def demo(fresh_database_url: str) -> AsyncIterator[DemoSystem]:
    settings = Settings(database_url=fresh_database_url, hash_key="demo-browser-test-key")
    async with DemoSystem.start(settings, history_days=HISTORY_DAYS) as system:
        yield system


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[WatchedPage]:
    """A desktop page on the demo alone (not on the replayed story's database, which the demo shares)."""
    async for watched in watched_page(browser):
        yield watched


async def test_the_demo_outage_appears_live_and_tells_its_story(
        demo: DemoSystem, aiohttp_server: Callable[..., Awaitable[TestServer]], page: WatchedPage) -> None:
    server = await aiohttp_server(demo.create_app(play=False))
    onset = demo.scenario.outage.onset
    await page.page.goto(str(server.make_url("/")))
    await expect(page.page.locator("#connection")).to_have_attribute("data-state", "open")
    await expect(page.page.locator(".now-item[data-slug=bt]")).to_have_count(0)

    await demo.step_to(onset + timedelta(minutes=45))
    first = page.page.locator(".now-item").first
    await expect(first).to_have_attribute("data-slug", "bt", timeout=10_000)
    await expect(first.locator(".badge")).to_have_text("Down")
    await expect(page.page.locator("#live")).to_contain_text("BT is now down")
    await first.locator("a.now-name").click()

    await expect(page.page).to_have_url(str(server.make_url("/s/bt")))
    chart = page.page.locator("#chart svg.chart")
    await expect(chart.locator("path[data-series=observed]")).to_have_attribute("data-points", "288")
    await expect(chart.locator("path[data-series=expected]")).to_have_attribute("data-points", "288")
    await expect(chart.locator("[data-mark=change]").first).to_be_attached()
    summary = page.page.locator("[data-role=summary]")
    await expect(summary).to_contain_text("Reports peaked at")
    await expect(summary).to_contain_text("the usual level for a Tuesday morning")
    await expect(page.page.locator(".gap.disagree")).to_contain_text("The crowd says BT is DOWN")
    await expect(page.page.locator("#problems tbody tr").first).to_contain_text("Signing in")
    demo_history = timedelta(days=HISTORY_DAYS + 1)
    await expect(summary).to_contain_text("the problem is ongoing (")
    assert_possible(await page.page.inner_text("main"), "/s/bt in the demo", demo_history)
    await page.page.goto(str(server.make_url("/incidents")))
    ongoing = page.page.locator("table.incidents tbody tr[data-service=bt] [data-role=duration]")
    async with aiohttp.ClientSession() as session, \
            session.get(str(server.make_url("/v1/incidents?service=bt&status=active"))) as response:
        listing = await response.json()
    [active] = listing["incidents"]
    lasted = datetime.fromisoformat(listing["as_of"]) - datetime.fromisoformat(active["started_at"])
    assert timedelta(minutes=40) <= lasted <= timedelta(minutes=46), "onset back-dated to the rise's start"
    await expect(ongoing).to_have_text(f"{lasted.seconds // 60} min")
    assert_possible(await page.page.inner_text("main"), "/incidents in the demo", demo_history)
    await page.page.goto(str(server.make_url("/s/bt?range=6h")))
    six_hours = page.page.locator("#chart path[data-series=observed]")
    await expect(six_hours).to_have_attribute("data-points", "360")
    await page.screenshot("demo-service")
    page.assert_no_errors()
