"""Rate limits shared through NATS: a client that used its minute's budget on one API process is
answered 429 by another, while a different client is not."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import Settings
from downwatch.runtime.roles.apps import role_app
from downwatch.runtime.roles.shared_limits import SHARE_EVERY_SECONDS
from tests.nats.conftest import reporter


async def test_a_flood_on_one_api_process_is_limited_on_another(nats_settings: Settings) -> None:
    settings = nats_settings.with_overrides(report_rate_per_minute=6)
    first = TestClient(TestServer(role_app(settings, "api")))
    second = TestClient(TestServer(role_app(settings, "api")))
    async with first, second:
        async def post(client: TestClient, agent: str, service: str) -> int:  # type: ignore[type-arg]
            response = await client.post("/v1/reports", json={"service": service, "problem": "login"},
                                         headers=reporter(agent))
            return response.status

        slugs = ("bt", "ee", "sky", "o2", "vodafone", "ee")
        statuses = [await post(first, "flooder", slug) for slug in slugs]
        assert statuses == [202] * 6
        assert await post(first, "flooder", "bt") == 429, "the first process's own limit"
        await asyncio.sleep(SHARE_EVERY_SECONDS * 5)
        limited = await second.post("/v1/reports", json={"service": "bt", "problem": "login"},
                                    headers=reporter("flooder"))
        assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
        assert (await limited.json())["limit"] == "client"
        assert await post(second, "someone-else", "bt") == 202


async def test_a_networks_share_of_client_tokens_is_one_share_for_every_api_process(
        nats_settings: Settings) -> None:
    first = TestClient(TestServer(role_app(nats_settings, "api")))
    second = TestClient(TestServer(role_app(nats_settings, "api")))
    network = reporter("token-hoarder")["X-Forwarded-For"]
    async with first, second:
        issued = 0
        while (await first.post("/v1/client-tokens", headers={"X-Forwarded-For": network})).status == 201:
            issued += 1
            assert issued < 100, "the first process never stopped issuing"
        assert issued >= 1
        await asyncio.sleep(SHARE_EVERY_SECONDS * 5)
        refused = await second.post("/v1/client-tokens", headers={"X-Forwarded-For": network})
        assert refused.status == 429 and (await refused.json())["limit"] == "client-tokens"
        other = reporter("another-network")["X-Forwarded-For"]
        assert (await second.post("/v1/client-tokens", headers={"X-Forwarded-For": other})).status == 201
