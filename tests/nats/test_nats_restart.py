"""NATS restarted under running roles: the API keeps answering the verdicts it has, flagged stale after
a tick (Warning 110, /healthz 503 naming nats and verdicts); reports answer 503 problem+json with
Retry-After instead of hanging; everything resumes once NATS is back, with nothing acked lost."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import Settings
from downwatch.runtime.bus.local_server import LocalNats
from downwatch.runtime.roles.apps import role_app
from downwatch.runtime.roles.verdict_watch import STALE_WARNING
from tests.nats.conftest import reporter
from tests.nats.processes import wait_until


async def test_nats_restart_keeps_verdicts_served_and_reports_refused_quickly(
        nats_server: LocalNats, nats_settings: Settings) -> None:
    settings = nats_settings.with_overrides(bucket_seconds=1, nats_partitions=2, report_window_seconds=3600)
    assert settings.database_url
    api = TestClient(TestServer(role_app(settings, "api")))
    async with api, TestClient(TestServer(role_app(settings, "write"))), \
            TestClient(TestServer(role_app(settings, "detect"))):
        async def post(agent: str) -> Any:
            return await api.post("/v1/reports", json={"service": "bt", "problem": "login"},
                                  headers=reporter(agent))

        assert (await post("before")).status == 202

        async def scored_verdict() -> Any:
            response = await api.get("/v1/services/bt")
            body = await response.json()
            return body if body["updated_at"] and "Warning" not in response.headers else None

        before = await wait_until("a verdict from the detector through the KV bucket", scored_verdict)
        nats_server.kill()
        during = await post("during")
        assert during.status == 503 and during.content_type == "application/problem+json"
        assert during.headers["Retry-After"] == "2"

        async def stale_answer() -> Any:
            response = await api.get("/v1/services/bt")
            return response if response.headers.get("Warning") == STALE_WARNING else None

        stale = await wait_until("the verdict flagged stale", stale_answer)
        assert stale.status == 200
        assert (await stale.json())["service"] == "bt" and (await stale.json())["status"] == before["status"]
        health = await api.get("/healthz")
        checks = (await health.json())["checks"]
        assert health.status == 503 and not checks["nats"]["ok"] and not checks["verdicts"]["ok"]

        nats_server.start()

        async def accepted() -> Any:
            return (await post("after")).status == 202

        await wait_until("reports accepted again", accepted)

        async def fresh_verdict() -> Any:
            body = await scored_verdict()
            return body if body and body["updated_at"] > before["updated_at"] else None

        await wait_until("fresh verdicts after the restart", fresh_verdict)
        conn = await asyncpg.connect(settings.database_url)
        try:
            async def stored() -> Any:
                return await conn.fetchval("SELECT count(*) FROM signals WHERE kind = 'report'") == 2

            await wait_until("both accepted reports stored", stored)
        finally:
            await conn.close()
        assert (await (await api.get("/healthz")).json())["checks"]["verdicts"]["ok"]
        metrics = await (await api.get("/metrics")).text()
        assert 'downwatch_role_lag_seconds{role="api"}' in metrics
        watches = re.search(r'^downwatch_verdict_watch\{counter="watches"\} (\d+)', metrics, re.MULTILINE)
        assert watches and int(watches.group(1)) >= 2, "the watch is made again after NATS came back"
