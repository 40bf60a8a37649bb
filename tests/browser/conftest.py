"""Browser fixtures: downwatch serving a replayed incident on a real socket, and Debian's Chromium
driven by Playwright (never a downloaded browser). Pages collect console errors for the tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from api.app import create_app
from api.board import VerdictBoard
from api.keys import BOARD
from api.tuning import ApiTuning
from downwatch.config import Settings
from downwatch.store.pool import connect
from tests.browser.replayed_incident import STORY_NOW, Incident, current_verdicts, seed, story_for

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@dataclass
class Dashboard:
    """The served app, its board, the story it replays, and where it listens."""

    server: TestServer
    board: VerdictBoard
    story: Incident
    bt_incident_id: int
    database_url: str

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@dataclass
class WatchedPage:
    """A page whose console errors and uncaught exceptions are recorded."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def assert_no_errors(self) -> None:
        assert self.errors == [], f"the page logged errors: {self.errors}"

    async def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
async def dashboard(aiohttp_server: Callable[..., Awaitable[TestServer]],
                    fresh_database_url: str) -> Dashboard:
    story = story_for(STORY_NOW)
    conn = await connect(fresh_database_url)
    try:
        incident_id = await seed(conn, story)
    finally:
        await conn.close()
    settings = Settings(database_url=fresh_database_url, hash_key="browser-test-key", tick_seconds=5.0)
    app = create_app(settings, tuning=ApiTuning(heartbeat_seconds=1.0, stream_lifetime_seconds=120))
    app[BOARD].publish(current_verdicts(story, incident_id), story.now)
    server = await aiohttp_server(app)
    return Dashboard(server, app[BOARD], story, incident_id, fresh_database_url)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def _watched(browser: Browser, **context_options: Any) -> AsyncIterator[WatchedPage]:
    context = await browser.new_context(accept_downloads=True, **context_options)
    page = await context.new_page()
    watched = WatchedPage(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"pageerror: {error}"))
    try:
        yield watched
    finally:
        await context.close()


async def watched_page(browser: Browser) -> AsyncIterator[WatchedPage]:
    """A desktop-sized page in London time (the dashboard shows the reader's zone)."""
    async for watched in _watched(browser, viewport={"width": 1200, "height": 900},
                                  timezone_id="Europe/London", locale="en-GB"):
        yield watched


@pytest.fixture
async def page(browser: Browser, dashboard: Dashboard) -> AsyncIterator[WatchedPage]:
    """A desktop page over the replayed story."""
    async for watched in watched_page(browser):
        yield watched


@pytest.fixture
async def phone(browser: Browser, dashboard: Dashboard) -> AsyncIterator[WatchedPage]:
    """A phone-sized page in New York time."""
    async for watched in _watched(browser, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, timezone_id="America/New_York",
                                  locale="en-US"):
        yield watched
