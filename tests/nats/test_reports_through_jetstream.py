"""POST /v1/reports on an API role: 202 only after JetStream's ack, written to PostgreSQL by the write
role, a retried report counted once, and 503 with Retry-After (no hang) while NATS is down."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import Settings
from downwatch.runtime.bus.local_server import LocalNats
from downwatch.runtime.roles.apps import role_app
from tests.nats.conftest import reporter


async def stored_reports(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):  # one snapshot
            signals = await conn.fetchval("SELECT count(*) FROM signals WHERE kind = 'report'")
            counted = await conn.fetchval("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = 'report'")
        return int(signals), int(counted)
    finally:
        await conn.close()


async def wait_for_stored(dsn: str, expected: int) -> tuple[int, int]:
    found = (0, 0)
    for _ in range(200):
        found = await stored_reports(dsn)
        if found[0] >= expected:
            break
        await asyncio.sleep(0.05)
    return found


async def post(client: TestClient, service: str, agent: str) -> tuple[int, dict[str, object]]:  # type: ignore[type-arg]
    response = await client.post("/v1/reports", json={"service": service, "problem": "login"},
                                 headers=reporter(agent))
    return response.status, await response.json()


async def test_reports_are_acked_by_jetstream_and_written_once(nats_settings: Settings) -> None:
    assert nats_settings.database_url
    api = TestClient(TestServer(role_app(nats_settings, "api")))
    writer = TestClient(TestServer(role_app(nats_settings, "write")))
    async with api, writer:
        answers = await asyncio.gather(*(post(api, "bt", f"agent-{i}") for i in range(60)))
        assert [status for status, _ in answers] == [202] * 60
        assert all(body["counted"] is True for _, body in answers)
        retry_status, retry = await post(api, "bt", "agent-7")
        assert retry_status == 202 and retry["counted"] is False, "a retry in the window counts once"
        assert retry["id"] == answers[7][1]["id"]
        assert await wait_for_stored(nats_settings.database_url, 60) == (60, 60)
        health = await (await writer.get("/healthz")).json()
        assert health["checks"]["nats"]["ok"] is True and health["checks"]["writer"]["stored"] == 60
        metrics = await (await writer.get("/metrics")).text()
        assert 'downwatch_writer{counter="stored"} 60' in metrics
        assert 'downwatch_role_lag_seconds{role="write"}' in metrics
        assert 'downwatch_nats{counter="up"} 1' in metrics


async def test_reports_answer_503_with_retry_after_while_nats_is_down(nats_server: LocalNats,
                                                                      nats_settings: Settings) -> None:
    assert nats_settings.database_url
    api = TestClient(TestServer(role_app(nats_settings, "api")))
    async with api:
        assert (await post(api, "bt", "before"))[0] == 202
        nats_server.kill()
        response = await api.post("/v1/reports", json={"service": "bt", "problem": "login"},
                                  headers=reporter("during"))
        assert response.status == 503
        assert response.content_type == "application/problem+json"
        assert response.headers["Retry-After"] == "2"
        nats_server.start()
        for _ in range(100):
            status, body = await post(api, "bt", "after")
            if status == 202:
                break
            await asyncio.sleep(0.1)
        assert status == 202 and body["counted"] is True
        writer = TestClient(TestServer(role_app(nats_settings, "write")))
        async with writer:
            assert await wait_for_stored(nats_settings.database_url, 2) == (2, 2)
