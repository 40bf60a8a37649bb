"""The demo system end to end: the scenario through the real pipeline, detector, store and API."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import load_settings
from downwatch.runtime.demo import DemoSystem

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def demo(fresh_database_url: str) -> AsyncIterator[DemoSystem]:
    settings = load_settings(environ={}, database_url=fresh_database_url, hash_key="test-key" * 4)
    async with DemoSystem.start(settings, history_days=3, lead_minutes=20) as system:
        yield system


async def test_the_bt_outage_is_detected_and_explained(demo: DemoSystem) -> None:
    app = demo.create_app(play=False)
    async with TestClient(TestServer(app)) as client:
        before = await (await client.get("/v1/services/bt")).json()
        assert before["status"] == "up", before["explanation"]
        onset = demo.scenario.outage.onset
        statuses: dict[str, str] = {}
        for minute in range(-19, 60):
            now = onset + timedelta(minutes=minute)
            await demo.step_to(now)
            statuses[now.strftime("%H:%M")] = demo.ticker.verdicts()["bt"]["status"]
        first_alarm = min(t for t, s in statuses.items() if s != "up")
        assert "08:05" < first_alarm <= "08:25", statuses
        verdict: dict[str, Any] = await (await client.get("/v1/services/bt")).json()
        assert verdict["status"] == "down"
        assert verdict["ratio"] > 5
        assert set(verdict["problems"]) >= {"login", "billing", "email", "website"}
        assert verdict["locations"] and "London" in verdict["locations"]
        assert verdict["official"]["disagrees"] is True
        listing = await (await client.get("/v1/services")).json()
        unusual = [s["slug"] for s in listing["services"] if s["status"] in ("down", "degraded")]
        assert unusual == ["bt"]
        incidents = await (await client.get("/v1/incidents?service=bt&status=active")).json()
        [incident] = incidents["incidents"]
        started = incident["started_at"]
        assert "2025-02-04T07:55:00Z" <= started <= "2025-02-04T08:20:00Z"


def _embedded_demo_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DOWNWATCH_DATA_DIR"] = str(tmp / "pg")
    return env


def test_demo_command_serves_on_the_printed_port_and_stops_its_server() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="downwatch-demo-test-"))
    os.chmod(tmp, 0o755)
    owner = tmp.stat().st_uid
    env = _embedded_demo_env(tmp)
    process = subprocess.Popen([sys.executable, "-m", "downwatch", "demo", "--port", "0",
                                "--history-days", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        lines = []
        deadline = time.monotonic() + 180
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"open (http://\S+/)", line)
            if match:
                url = match.group(1)
                break
        assert url, "".join(lines)

        async def fetch() -> tuple[int, dict[str, Any]]:
            async with aiohttp.ClientSession() as session, session.get(url + "v1/services/bt") as response:
                return response.status, await response.json()

        import asyncio

        status, body = asyncio.run(fetch())
        assert status == 200 and body["service"] == "bt"
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
        assert not (tmp / "pg" / "postmaster.pid").exists()
        assert tmp.stat().st_uid == owner, "the data directory's parent changed owner"
    finally:
        if process.poll() is None:
            process.kill()
        shutil.rmtree(tmp, ignore_errors=True)


async def test_stepping_mid_minute_feeds_each_minute_once(demo: DemoSystem) -> None:
    onset = demo.scenario.outage.onset
    before = demo.fed_until
    for seconds in (10, 40, 70, 100, 130):
        await demo.step_to(demo.live_from + timedelta(seconds=seconds))
    assert demo.fed_until == demo.live_from + timedelta(minutes=2)
    async with demo.pool.acquire() as conn:
        probes = await conn.fetchval(
            "SELECT count(*) FROM signals WHERE kind = 'probe' AND observed_at >= $1", before)
    assert probes == 2 * 2  # two probed pages, one check each per minute
    assert onset > demo.fed_until


async def test_a_report_posted_to_the_demo_is_received_on_the_demos_clock(demo: DemoSystem) -> None:
    app = demo.create_app(play=False)
    async with TestClient(TestServer(app)) as client:
        received = demo.now()
        response = await client.post("/v1/reports", json={"service": "santander", "problem": "login"})
        assert response.status == 202, await response.text()
        body = await response.json()
        window = timedelta(seconds=demo.settings.report_window_seconds)
        assert received < datetime.fromisoformat(body["window_ends_at"]) <= received + window
        async with demo.pool.acquire() as conn:
            observed_at = await conn.fetchval(
                "SELECT observed_at FROM signals WHERE kind = 'report' AND external_id = $1", body["id"])
        assert received <= observed_at < received + timedelta(minutes=1)
        await demo.step_to(received + timedelta(minutes=1))
        scored = demo.ticker.last_bucket
        assert scored is not None and scored >= observed_at - timedelta(minutes=1)
