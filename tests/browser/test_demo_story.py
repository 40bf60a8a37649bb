"""The dashboard over the real demo: the scenario's history and outage run through the real pipeline
and detector (``downwatch.runtime.demo.DemoSystem``), stepped by the test, watched in a real Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import expect

from downwatch.config import Settings
from downwatch.runtime.demo import DemoSystem
from tests.browser.conftest import WatchedPage


@pytest.fixture
async def demo(fresh_database_url: str) -> AsyncIterator[DemoSystem]:
    settings = Settings(database_url=fresh_database_url, hash_key="demo-browser-test-key")
    async with DemoSystem.start(settings, history_days=2) as system:
        yield system


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
    await page.page.goto(str(server.make_url("/s/bt?range=6h")))
    six_hours = page.page.locator("#chart path[data-series=observed]")
    await expect(six_hours).to_have_attribute("data-points", "360")
    await page.screenshot("demo-service")
    page.assert_no_errors()
