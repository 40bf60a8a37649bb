"""POST /v1/reports on an API role: 202 only after JetStream's ack, written to PostgreSQL by the write
role, a retried report counted once, and 503 with Retry-After (no hang) while NATS is down."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import asyncpg
import nats
from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import Settings
from downwatch.runtime.bus.local_server import LocalNats
from downwatch.runtime.bus.names import STREAM
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


async def test_one_network_counts_once_across_api_processes_and_the_answer_says_so(
        nats_settings: Settings) -> None:
    """Under NATS, as in one process: a second report from the same network in the window (another
    User-Agent, another API process) is answered ``counted: false``, and the stored count agrees."""
    assert nats_settings.database_url
    first_api = TestClient(TestServer(role_app(nats_settings, "api")))
    second_api = TestClient(TestServer(role_app(nats_settings, "api")))
    writer = TestClient(TestServer(role_app(nats_settings, "write")))
    network = reporter("shared-network")["X-Forwarded-For"]
    async with first_api, second_api, writer:
        answers = []
        for i, api in enumerate([first_api, second_api] * 4):
            response = await api.post("/v1/reports", json={"service": "bt", "problem": "login"},
                                      headers={"User-Agent": f"browser-{i}", "X-Forwarded-For": network})
            assert response.status == 202
            answers.append(await response.json())
        assert [body["counted"] for body in answers] == [True] + [False] * 7
        retry = await first_api.post("/v1/reports", json={"service": "bt", "problem": "login"},
                                     headers={"User-Agent": "browser-0", "X-Forwarded-For": network})
        assert (await retry.json())["counted"] is False, "a retry is a duplicate"
        other_service = await (await second_api.post(
            "/v1/reports", json={"service": "netflix", "problem": "streaming"},
            headers={"User-Agent": "browser-1", "X-Forwarded-For": network})).json()
        assert other_service["counted"] is True
        assert await wait_for_stored(nats_settings.database_url, 9) == (9, 2)


async def test_client_tokens_count_up_to_their_slots_across_api_processes(nats_settings: Settings) -> None:
    assert nats_settings.database_url
    apis = [TestClient(TestServer(role_app(nats_settings, "api"))) for _ in range(2)]
    writer = TestClient(TestServer(role_app(nats_settings, "write")))
    network = reporter("carrier-nat")["X-Forwarded-For"]
    async with apis[0], apis[1], writer:
        tokens = []
        for i in range(5):
            issued = await apis[i % 2].post("/v1/client-tokens", headers={"X-Forwarded-For": network})
            assert issued.status == 201
            body = await issued.json()
            tokens.append((body["header"], body["token"], body["slots_per_network"]))
        slots = tokens[0][2]
        counted = []
        for i, (header, token, _) in enumerate(tokens):
            response = await apis[i % 2].post(
                "/v1/reports", json={"service": "bt", "problem": "login"},
                headers={"User-Agent": f"phone-{i}", "X-Forwarded-For": network, header: token})
            assert response.status == 202
            counted.append((await response.json())["counted"])
        assert counted == [True] * slots + [False] * (5 - slots)
        plain = await (await apis[1].post("/v1/reports", json={"service": "bt", "problem": "login"},
                                          headers={"User-Agent": "desk", "X-Forwarded-For": network})).json()
        assert plain["counted"] is True, "the network itself is an identity besides its token slots"
        assert await wait_for_stored(nats_settings.database_url, 6) == (6, slots + 1)


async def test_a_report_whose_publish_fails_gives_back_its_claim(nats_settings: Settings) -> None:
    """The report's identity claim is taken, then JetStream refuses the signal (the SIGNALS stream no
    longer takes its subject): 503, and the claim is given back, so the same network's next report in
    the window (another browser: another report id) counts, and the stored count agrees. Before: that
    report was answered counted false, and the network's one stored report was not counted."""
    assert nats_settings.database_url and nats_settings.nats_url
    network = reporter("unlucky-network")["X-Forwarded-For"]
    api = TestClient(TestServer(role_app(nats_settings, "api")))
    writer = TestClient(TestServer(role_app(nats_settings, "write")))
    nc = await nats.connect(nats_settings.nats_url)
    js = nc.jetstream()
    try:
        async with api, writer:
            config = (await js.stream_info(STREAM)).config
            await js.update_stream(replace(config, subjects=["nowhere.*"]))
            lost = await api.post("/v1/reports", json={"service": "bt", "problem": "login"},
                                  headers={"User-Agent": "browser-a", "X-Forwarded-For": network})
            assert lost.status == 503 and lost.headers["Retry-After"] == "2"
            await js.update_stream(config)
            answers = []
            for agent in ("browser-b", "browser-c"):
                response = await api.post("/v1/reports", json={"service": "bt", "problem": "login"},
                                          headers={"User-Agent": agent, "X-Forwarded-For": network})
                assert response.status == 202
                answers.append((await response.json())["counted"])
            assert answers == [True, False]
            assert await wait_for_stored(nats_settings.database_url, 2) == (2, 1)
    finally:
        await nc.close()

