"""A service added through the admin API of one API process reaches another with its first verdict
(scored by a detect worker that follows the store's catalog), without a restart or polling."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import Settings
from downwatch.runtime.roles.apps import role_app

TOKEN = "nats-admin-token-0123456789"


async def test_an_admin_added_service_reaches_every_api_process(nats_settings: Settings) -> None:
    settings = nats_settings.with_overrides(bucket_seconds=1, admin_token=TOKEN, nats_partitions=2)
    first = TestClient(TestServer(role_app(settings, "api")))
    second = TestClient(TestServer(role_app(settings, "api")))
    async with first, second, TestClient(TestServer(role_app(settings, "write"))), \
            TestClient(TestServer(role_app(settings, "detect"))):
        assert (await second.get("/v1/services/fuzz-nats")).status == 404
        added = await first.put("/v1/admin/services/fuzz-nats", headers={"Authorization": f"Bearer {TOKEN}"},
                                json={"name": "Fuzz NATS", "country": "GB", "category": "broadband"})
        assert added.status == 200, await added.text()
        report = await first.post("/v1/reports", json={"service": "fuzz-nats", "problem": "login"})
        assert report.status == 202
        for _ in range(300):
            answer = await second.get("/v1/services/fuzz-nats")
            if answer.status == 200 and (await answer.json())["bucket"] is not None:
                break
            await asyncio.sleep(0.1)
        assert answer.status == 200
        body = await answer.json()
        assert body["name"] == "Fuzz NATS" and body["bucket"] is not None


async def test_an_admin_edit_reaches_every_api_process_and_a_late_one(nats_settings: Settings) -> None:
    settings = nats_settings.with_overrides(admin_token=TOKEN)
    first = TestClient(TestServer(role_app(settings, "api")))
    second = TestClient(TestServer(role_app(settings, "api")))
    entry = {"name": "BT Broadband", "country": "GB", "category": "broadband", "aliases": ["bt home hub"]}
    async with first, second:
        assert (await (await second.get("/v1/services/bt")).json())["name"] == "BT"
        edited = await first.put("/v1/admin/services/bt", headers={"Authorization": f"Bearer {TOKEN}"},
                                 json=entry)
        assert edited.status == 200, await edited.text()
        for _ in range(100):
            if (await (await second.get("/v1/services/bt")).json())["name"] == "BT Broadband":
                break
            await asyncio.sleep(0.05)
        assert (await (await second.get("/v1/services/bt")).json())["name"] == "BT Broadband"
        found = await (await second.get("/v1/services", params={"q": "bt home hub"})).json()
        assert [s["slug"] for s in found["services"]] == ["bt"]
    async with TestClient(TestServer(role_app(settings, "api"))) as late:
        for _ in range(100):
            if (await (await late.get("/v1/services/bt")).json())["name"] == "BT Broadband":
                break
            await asyncio.sleep(0.05)
        assert (await (await late.get("/v1/services/bt")).json())["name"] == "BT Broadband"
