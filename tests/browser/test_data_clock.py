"""Every duration and "since" is on the data's clock: the story happens on 4 February 2025, far from
the browser's wall clock, so a page measuring "now" by the wall clock shows an impossible duration."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import expect

from tests.browser.conftest import Dashboard, WatchedPage
from tests.browser.replayed_incident import HISTORY

DURATION = re.compile(r"([-−]\s*)?\b(?:(\d+) d (\d+) h|(\d+) h (\d+) min|(\d+) min(?:ute)?s?)\b")


def durations_in(text: str) -> list[tuple[str, timedelta]]:
    """Every duration the dashboard writes ("5 min", "1 h 35 min", "2 d 3 h", "12 minutes"), signed."""
    found = []
    for match in DURATION.finditer(text):
        days, day_hours, hours, minutes, only_minutes = (int(g) if g else 0 for g in match.groups()[1:])
        length = timedelta(days=days, hours=day_hours + hours, minutes=minutes + only_minutes)
        found.append((match.group(0), -length if match.group(1) else length))
    return found


def assert_possible(text: str, where: str, history: timedelta = HISTORY) -> list[tuple[str, timedelta]]:
    durations = durations_in(text)
    for words, length in durations:
        assert timedelta(0) <= length <= history, \
            f"{where} shows the duration {words!r}, impossible over {history} of data"
    return durations


def test_the_duration_scanner_reads_what_the_dashboard_writes() -> None:
    assert durations_in("lasted 666 d 22 h; ongoing (1 h 35 min so far) after 12 minutes, − 5 min") == [
        ("666 d 22 h", timedelta(days=666, hours=22)), ("1 h 35 min", timedelta(hours=1, minutes=35)),
        ("12 minutes", timedelta(minutes=12)), ("− 5 min", -timedelta(minutes=5))]


async def test_no_page_shows_a_duration_longer_than_the_data_or_negative(dashboard: Dashboard,
                                                                        page: WatchedPage) -> None:
    story = dashboard.story
    ongoing = story.now - story.onset
    await page.page.goto(dashboard.url("/incidents"))
    await expect(page.page.locator("table.incidents tbody tr")).to_have_count(2)
    assert_possible(await page.page.inner_text("main"), "/incidents")
    bt = page.page.locator("table.incidents tbody tr[data-service=bt]")
    assert ongoing == timedelta(hours=1, minutes=35)
    await expect(bt.locator("[data-role=duration]")).to_have_text("1 h 35 min")

    await page.page.goto(dashboard.url("/s/bt"))
    summary = page.page.locator("[data-role=summary]")
    await expect(summary).to_contain_text("the problem is ongoing (1 h 35 min so far)")
    await expect(page.page.locator(".timeline li[data-step=recovery]")).to_contain_text("Still ongoing")
    assert_possible(await page.page.inner_text("main"), "/s/bt")

    await page.page.goto(dashboard.url("/s/sky?range=7d"))
    await expect(page.page.locator("[data-role=summary]")).to_contain_text("after 1 h 15 min")
    assert_possible(await page.page.inner_text("main"), "/s/sky")

    await page.page.goto(dashboard.url("/"))
    await expect(page.page.locator(".now-item").first).to_have_attribute("data-slug", "bt")
    assert_possible(await page.page.inner_text("main"), "/")
    page.assert_no_errors()


async def test_times_of_the_data_s_day_are_shown_as_today(dashboard: Dashboard, page: WatchedPage) -> None:
    """A time on the day of the data's now is a bare clock time; the wall clock's day is irrelevant."""
    await page.page.goto(dashboard.url("/"))
    since = page.page.locator(".now-item[data-slug=bt] time").first
    await expect(since).to_have_text(f"{dashboard.story.detected:%H:%M}")  # London is on UTC in February
    updated = page.page.locator("main .lede time")
    await expect(updated).to_have_text(f"{dashboard.story.now:%H:%M}")
    page.assert_no_errors()
