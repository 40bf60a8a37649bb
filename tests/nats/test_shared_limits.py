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
