"""The map of where reports come from, in a real Chromium: circles match the data route (and the
route matches the reports stored), downloads, a phone's viewport, the table and labels for a reader
who does not see the map."""

from __future__ import annotations

import csv
import io
import struct
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from playwright.async_api import expect

from tests.browser.conftest import Dashboard, WatchedPage
from tests.browser.replayed_incident import signals

CIRCLES = "#map svg.map circle[data-place]"


def stored_places(dashboard: Dashboard) -> Counter[str]:
    """Reports per place as seeded: every BT signal falls inside the page's default 24 hours."""
    return Counter(signal.location for signal in signals(dashboard.story) if signal.location)


async def route_answer(dashboard: Dashboard, asked: str) -> dict[str, Any]:
    query = {key: values[0] for key, values in parse_qs(urlsplit(asked).query).items()}
    async with aiohttp.ClientSession() as session, \
            session.get(dashboard.url("/dashboard/data/locations"), params=query) as response:
        assert response.status == 200
        document: dict[str, Any] = await response.json()
        return document


async def drawn_circles(page: WatchedPage) -> list[dict[str, Any]]:
    circles: list[dict[str, Any]] = await page.page.locator(CIRCLES).evaluate_all(
        "nodes => nodes.map(n => ({place: n.dataset.place, n: Number(n.dataset.n),"
        " r: Number(n.getAttribute('r')), frame: n.closest('[data-frame]').dataset.frame}))")
    return circles


async def overlapping_labels(page: WatchedPage) -> list[list[str]]:
    pairs: list[list[str]] = await page.page.locator("#map svg.map text[data-label]").evaluate_all(
        """nodes => {
          const boxes = nodes.map(n => [n.textContent, n.getBoundingClientRect()]);
          const hits = [];
          boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
            const apart = p.right <= q.left || q.right <= p.left || p.bottom <= q.top || q.bottom <= p.top;
            if (!apart) hits.push([a, b]);
          }));
          return hits;
        }""")
    return pairs


async def open_service_map(dashboard: Dashboard, page: WatchedPage) -> dict[str, Any]:
    async with page.page.expect_response(lambda r: "/dashboard/data/locations" in r.url) as located:
        await page.page.goto(dashboard.url("/s/bt"))
    await expect(page.page.locator(CIRCLES).first).to_be_attached()
    return await route_answer(dashboard, (await located.value).url)


async def test_the_service_map_draws_one_circle_per_place_sized_by_the_route(dashboard: Dashboard,
                                                                              page: WatchedPage) -> None:
    data = await open_service_map(dashboard, page)
    expected = stored_places(dashboard)
    assert {p["name"]: p["n"] for p in data["places"]} == dict(expected)
    assert data["total"] == sum(expected.values()) and data["unplaced"] == []

    circles = await drawn_circles(page)
    assert {c["place"]: c["n"] for c in circles} == dict(expected)
    assert {c["frame"] for c in circles} == {"uk"}  # every seeded city is in Britain
    # Areas proportional to reports: r² / n is the same for every circle above the minimum radius.
    areas = [c["r"] ** 2 / c["n"] for c in circles if c["r"] > 3.5]
    assert len(areas) >= 3 and max(areas) / min(areas) < 1.05
    london = next(c for c in circles if c["place"] == "London")
    assert london["r"] == max(c["r"] for c in circles)

    svg = page.page.locator("#map svg.map")
    assert await svg.get_attribute("role") == "img"
    description = await page.page.locator("#map svg.map desc").text_content() or ""
    assert f"{data['total']:,} reports about BT named a place" in description
    assert f"London ({expected['London']:,})" in description
    labels = await svg.locator("text[data-label]").all_text_contents()
    assert labels[0] == f"London {expected['London']:,}" and len(labels) >= 3
    assert not await overlapping_labels(page)
    await page.page.locator("#map details summary").click()
    rows = page.page.locator("#map [data-role=map-table] tbody tr")
    await expect(rows).to_have_count(len(expected))
    await expect(rows.first).to_contain_text("London")
    await page.screenshot("service-map")
    page.assert_no_errors()


async def test_the_map_downloads_csv_png_and_svg_of_what_it_shows(dashboard: Dashboard,
                                                                  page: WatchedPage) -> None:
    data = await open_service_map(dashboard, page)
    async with page.page.expect_download() as csv_info:
        await page.page.locator("#map [data-export=csv]").click()
    download = await csv_info.value
    assert download.suggested_filename == "bt-places.csv"
    rows = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text())))
    assert [(r["place"], int(r["reports"])) for r in rows] == [(p["name"], p["n"]) for p in data["places"]]
    assert all(float(r["lat"]) == p["lat"] and float(r["lon"]) == p["lon"]
               for r, p in zip(rows, data["places"], strict=True))

    async with page.page.expect_download() as png_info:
        await page.page.locator("#map [data-export=png]").click()
    png = Path(await (await png_info.value).path()).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    svg_width = int(await page.page.locator("#map svg.map").get_attribute("width") or 0)
    assert width == 2 * svg_width and height > width // 3 and len(png) > 20_000

    async with page.page.expect_download() as svg_info:
        await page.page.locator("#map [data-export=svg]").click()
    svg = Path(await (await svg_info.value).path()).read_text()
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert svg.count("<circle") == len(data["places"])
    page.assert_no_errors()


async def test_on_a_phone_the_map_fits_and_its_labels_are_legible(dashboard: Dashboard,
                                                                  phone: WatchedPage) -> None:
    await open_service_map(dashboard, phone)
    await phone.page.locator("#map").scroll_into_view_if_needed()
    overflow = await phone.page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    svg = phone.page.locator("#map svg.map")
    box = await svg.bounding_box()
    assert box is not None and box["width"] <= 390
    # Drawn at its own pixel size (not shrunk), so 12 px labels stay 12 px on the phone.
    assert abs(box["width"] - int(await svg.get_attribute("width") or 0)) < 1
    frames = await svg.locator("[data-frame]").evaluate_all(
        "nodes => nodes.map(n => { const b = n.getBoundingClientRect(); return [n.dataset.frame, b.top]; })")
    assert [name for name, _ in sorted(frames, key=lambda f: f[1])] == ["uk", "world"]  # one above the other
    label_boxes = await svg.locator("text[data-label]").evaluate_all(
        "nodes => nodes.map(n => { const b = n.getBoundingClientRect();"
        " const s = n.ownerSVGElement.getBoundingClientRect();"
        " return {h: b.height, inside: b.left >= s.left - 0.5 && b.right <= s.right + 0.5}; })")
    assert label_boxes and all(b["h"] >= 12 and b["inside"] for b in label_boxes)
    assert not await overlapping_labels(phone)
    await phone.screenshot("service-map-phone")
    phone.assert_no_errors()
