"""A follower process answers from the verdicts another process wrote, without running the detector."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import load_settings
from downwatch.runtime.service import build_app
from downwatch.store.detector_output import TickOutput, write_tick
from downwatch.store.pool import connect

NOW = datetime(2025, 2, 4, 9, 0, tzinfo=UTC)


def verdict(status: str) -> dict[str, object]:
    return {"service": "bt", "status": status, "since": "2025-02-04T08:08:00Z", "confidence": 0.9,
            "observed": 40.0, "expected": 1.0, "ratio": 40.0, "score": 0.99999,
            "bucket": "2025-02-04T08:59:00Z",
            "updated_at": NOW.isoformat(), "problems": {"login": 1.0}, "locations": {}, "sources": {},
            "official": None, "incident_id": None, "explanation": "written by the detector's process"}


async def test_follower_serves_stored_verdicts_and_follows_changes(fresh_database_url: str) -> None:
    settings = load_settings(environ={}, database_url=fresh_database_url, hash_key="k" * 32,
                             tick_seconds=0.2)
    conn = await connect(fresh_database_url)
    try:
        await write_tick(conn, TickOutput(verdicts={"bt": verdict("degraded")}))
        async with TestClient(TestServer(build_app(settings, follower=True))) as client:
            first = await (await client.get("/v1/services/bt")).json()
            for _ in range(50):
                if first["status"] == "degraded":
                    break
                await asyncio.sleep(0.1)
                first = await (await client.get("/v1/services/bt")).json()
            assert first["status"] == "degraded"
            assert first["explanation"] == "written by the detector's process"
            await write_tick(conn, TickOutput(verdicts={"bt": verdict("down")}))
            for _ in range(50):
                await asyncio.sleep(0.1)
                if (await (await client.get("/v1/services/bt")).json())["status"] == "down":
                    break
            else:
                raise AssertionError("the follower never saw the new verdict")
            assert await conn.fetchval("SELECT count(*) FROM scores") == 0
    finally:
        await conn.close()
