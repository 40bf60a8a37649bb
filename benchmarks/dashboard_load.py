"""How heavy and how fast the journalists' dashboard is, over the real demo, in Debian's Chromium.

Prints, per view (Now, a service page, incidents, the widget): requests made, bytes transferred
(gzip as served; the open SSE stream is reported apart), and the time until the view's content is
drawn, as the median and worst of ``--runs`` loads, cold (empty cache) and warm (assets cached),
on a desktop and on an emulated phone (4x slower CPU, "fast 3G": 1.6 Mbit/s down, 750 kbit/s up,
150 ms round trip).

    .venv/bin/python benchmarks/dashboard_load.py [--runs 5] [--admin-dsn postgresql://...]

Uses $DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432/postgres) and creates
and drops its own database. Targets: a phone's cold load of any view under 3 s, warm under 1.5 s,
and under 150 kB transferred.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from api.keys import BOARD
from api.routes.dashboard import load_assets
from downwatch.config import Settings
from downwatch.runtime.demo import DemoSystem
from downwatch.store.databases import create_database, drop_database, with_database

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWS = (("now", "/", ".now-item"),
         ("service", "/s/bt", "#chart svg.chart path[data-series=observed]"),
         ("incidents", "/incidents", "table.incidents tbody tr"),
         ("widget", "/embed/bt", "[data-role=status]"))
FAST_3G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
           "uploadThroughput": 750_000 / 8}
DATABASE = "downwatch_bench_dashboard"


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    viewport: ViewportSize
    cpu_slowdown: float
    network: dict[str, Any] | None


PROFILES = (Profile("desktop", ViewportSize(width=1280, height=900), 1.0, None),
            Profile("phone", ViewportSize(width=390, height=844), 4.0, FAST_3G))


@dataclass(slots=True)
class Load:
    seconds: float
    requests: int
    transferred: int


async def load_once(page: Page, url: str, ready: str, profile: Profile) -> Load:
    session = await page.context.new_cdp_session(page)
    await session.send("Network.enable")
    await session.send("Emulation.setCPUThrottlingRate", {"rate": profile.cpu_slowdown})
    if profile.network:
        await session.send("Network.emulateNetworkConditions", profile.network)
    sizes: dict[str, float] = {}
    session.on("Network.loadingFinished",
               lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
    started = time.perf_counter()
    await page.goto(url, wait_until="commit")
    await page.locator(ready).first.wait_for(state="attached", timeout=60_000)
    seconds = time.perf_counter() - started
    await page.wait_for_timeout(300)
    await session.detach()
    return Load(seconds, len(sizes), int(sum(sizes.values())))


async def measure(browser: Browser, base: str, profile: Profile, runs: int) -> None:
    for name, path, ready in VIEWS:
        cold: list[Load] = []
        warm: list[Load] = []
        for _ in range(runs):
            context = await browser.new_context(viewport=profile.viewport)
            page = await context.new_page()
            cold.append(await load_once(page, base + path, ready, profile))
            warm.append(await load_once(page, base + path, ready, profile))
            await context.close()
        for label, loads in (("cold", cold), ("warm", warm)):
            times = [load.seconds * 1000 for load in loads]
            print(f"{profile.name:8} {name:10} {label}: {statistics.median(times):7.0f} ms median, "
                  f"{max(times):7.0f} ms worst, {loads[-1].requests:3d} requests, "
                  f"{loads[-1].transferred / 1024:7.1f} kB transferred")


def asset_sizes() -> None:
    assets = load_assets(60)
    raw = sum(len(asset.body) for asset in assets.files.values())
    served = sum(len(asset.gzipped or asset.body) for asset in assets.files.values())
    print(f"static assets: {len(assets.files)} files, {raw / 1024:.1f} kB raw, {served / 1024:.1f} kB gzip "
          f"(every view loads a subset; all are cached for a year under /static/{assets.version}/)")


async def main(runs: int, admin_dsn: str) -> None:
    asset_sizes()
    dsn = await create_database(admin_dsn, DATABASE, replace=True)
    try:
        settings = Settings(database_url=dsn, hash_key="benchmark-key")
        began = time.perf_counter()
        async with DemoSystem.start(settings, history_days=7) as demo:
            await demo.step_to(demo.scenario.outage.onset + timedelta(minutes=60))
            print(f"demo ready (7 days of history, outage at +60 min) in {time.perf_counter() - began:.1f} s")
            app = demo.create_app(play=False)
            board = app[BOARD]
            snapshot = sum(len(answer.body) for service in board.services()
                           if (answer := board.verdict_answer(service.slug)) is not None)
            print(f"SSE snapshot a Now view receives on connect: {snapshot / 1024:.1f} kB uncompressed "
                  f"({sum(1 for _ in board.services())} verdicts; not counted below: the stream stays open)")
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            base = f"http://127.0.0.1:{runner.addresses[0][1]}"
            try:
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                               args=CHROMIUM_ARGS)
                    for profile in PROFILES:
                        await measure(browser, base, profile, runs)
                    await browser.close()
            finally:
                await runner.cleanup()
    finally:
        await drop_database(admin_dsn, DATABASE)


if __name__ == "__main__":
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--admin-dsn", default=with_database(
        os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"), "postgres"))
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.admin_dsn))
