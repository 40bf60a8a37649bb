"""Active probes against local web pages: status, latency, timeouts, refused connections, politeness."""

from __future__ import annotations

import pytest

from ingest.sources.probes import HostSpacing, ProbeSource, ProbeTarget
from tests.fakes.server import serving
from tests.fakes.statuspage import FakeStatusHost


async def test_probe_outcomes_and_user_agent() -> None:
    host = FakeStatusHost(pages={"/": 200, "/login": 503, "/slow": 200}, slow_pages={"/slow": 2.0})
    async with serving(host.app()) as url:
        targets = [ProbeTarget("shop", "website", f"{url}/"), ProbeTarget("shop", "login", f"{url}/login"),
                   ProbeTarget("slowpoke", "website", f"{url}/slow"),
                   ProbeTarget("gone", "website", "http://127.0.0.1:9/")]
        source = ProbeSource(targets, timeout=0.5, host_interval=0.0)
        try:
            parsed = source.parse((await source.fetch(None)).payload)
        finally:
            await source.close()
    by_service_page = {(o.service, o.problem): o.fields for o in parsed.observations}
    assert by_service_page[("shop", "website")]["failing"] is False
    assert by_service_page[("shop", "website")]["status"] == 200
    assert by_service_page[("shop", "website")]["latency_ms"] > 0
    assert by_service_page[("shop", "login")]["failing"] is True
    assert by_service_page[("slowpoke", "website")]["error"] == "timeout"
    assert by_service_page[("gone", "website")]["error"] == "connect"
    assert all(agent.startswith("downwatch/") for _, agent in host.requests)


class FakeMonotonic:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_host_spacing_keeps_requests_to_one_host_apart() -> None:
    clock = FakeMonotonic()
    spacing = HostSpacing(0.2, monotonic=clock, sleep=clock.sleep)
    for _ in range(3):
        await spacing.wait("a.example")
    await spacing.wait("b.example")
    assert clock.slept == [pytest.approx(0.2), pytest.approx(0.2)]  # b.example did not wait for a's turn
    clock.now += 5.0
    await spacing.wait("a.example")  # long after the last request: no wait
    assert len(clock.slept) == 2

