"""The ingest role's lag in /metrics: per source, since its last stored batch (a source that has never
delivered counts from the process start)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import load_settings
from downwatch.runtime.roles.apps import role_app
from tests.fakes.server import serving_in_thread
from tests.fakes.statuspage import FakeStatusHost

LAG = re.compile(r'^downwatch_role_lag_seconds\{role="ingest",source="([^"]+)"\} (\S+)$', re.M)


async def test_each_source_of_an_ingest_role_reports_its_lag(fresh_database_url: str, tmp_path: Path) -> None:
    host = FakeStatusHost(pages={"/": 200})
    with serving_in_thread(host.app()) as url:
        config = tmp_path / "ingest.toml"
        config.write_text(f'[sources.probes]\nurls.bt = {{website = "{url}/"}}\npoll_seconds = 1\n'
                          'timeout = 2\nhost_interval = 0\n\n'
                          '[sources.statuspage]\npages = {ee = "http://127.0.0.1:9/"}\npoll_seconds = 1\n'
                          'timeout = 1\n')
        settings = load_settings(config, environ={}, database_url=fresh_database_url, hash_key="k" * 32)
        async with TestClient(TestServer(role_app(settings, "ingest"))) as client:
            lags: dict[str, float] = {}
            for _ in range(300):
                if host.requests:
                    lags = {name: float(value)
                            for name, value in LAG.findall(await (await client.get("/metrics")).text())}
                    if recovered(lags):
                        break
                await asyncio.sleep(0.05)
    assert host.requests, "the probe never reached the fake site"
    assert recovered(lags), lags


def recovered(lags: dict[str, float]) -> bool:
    """The probe (delivering) is less behind than the status page (never reached since the start)."""
    working = [value for name, value in lags.items() if name.startswith("probes")]
    failing = [value for name, value in lags.items() if name.startswith("statuspage")]
    return len(working) == len(failing) == 1 and failing[0] > working[0] >= 0.0
