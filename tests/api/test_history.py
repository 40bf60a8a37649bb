"""GET /v1/services/{slug}/timeline and GET /v1/incidents: read from the store, once per board version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from downwatch.store.detector_output import ScoreRow, TickOutput, write_tick
from tests.api.conftest import Conformance, board_of

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


async def write_scores(pool: asyncpg.Pool, service: str, statuses: list[str]) -> None:
    rows = [ScoreRow(service, START + timedelta(minutes=i), float(10 + i), 5.0, i / 10, status)
            for i, status in enumerate(statuses)]
    async with pool.acquire() as conn:
        await write_tick(conn, TickOutput(scores=rows))


def incident(service: str, started: datetime, *, ended: datetime | None) -> dict[str, Any]:
    return {"id": int(started.timestamp()), "service": service,
            "status": "resolved" if ended else "active", "severity": "down",
            "started_at": started.isoformat(), "detected_at": (started + timedelta(minutes=2)).isoformat(),
            "peak_at": None, "peak_count": 40.0, "ended_at": ended.isoformat() if ended else None,
            "problems": {"login": 0.7}}


async def test_timeline_per_bucket_and_per_step(client: TestClient[Any, Any], pool: asyncpg.Pool,
                                                conformance: Conformance) -> None:
    await write_scores(pool, "gitlab", ["up", "up", "degraded", "down", "up", "up"])
    window = "from=2024-03-01T12:00:00Z&to=2024-03-01T12:06:00Z"
    response = await client.get(f"/v1/services/gitlab/timeline?{window}")
    body = await conformance.check("GET", "/v1/services/{slug}/timeline", response)
    assert [p["status"] for p in body["points"]] == ["up", "up", "degraded", "down", "up", "up"]
    assert body["points"][0] == {"t": "2024-03-01T12:00:00Z", "observed": 10.0, "expected": 5.0,
                                 "score": 0.0, "status": "up"}

    coarse = await client.get(f"/v1/services/gitlab/timeline?{window}&step=180")
    body = await conformance.check("GET", "/v1/services/{slug}/timeline", coarse)
    assert [(p["t"], p["observed"], p["status"]) for p in body["points"]] == [
        ("2024-03-01T12:00:00Z", 33.0, "degraded"), ("2024-03-01T12:03:00Z", 42.0, "down")]
    assert body["points"][1]["score"] == 0.5


async def test_timeline_is_cached_until_the_board_moves(client: TestClient[Any, Any],
                                                        pool: asyncpg.Pool) -> None:
    url = "/v1/services/bt/timeline?from=2024-03-01T12:00:00Z&to=2024-03-01T12:03:00Z"
    assert (await (await client.get(url)).json())["points"] == []
    await write_scores(pool, "bt", ["down"])
    assert (await (await client.get(url)).json())["points"] == [], "answered from the per-tick cache"
    board_of(client).publish({}, datetime.now(UTC))
    assert len((await (await client.get(url)).json())["points"]) == 1


async def test_bad_timeline_parameters_are_400_problems(client: TestClient[Any, Any],
                                                        conformance: Conformance) -> None:
    for query, parameter in (("step=90", "step"), ("step=0", "step"), ("step=ten", "step"),
                             ("from=yesterday", "from"), ("to=2024-13-01T00:00:00Z", "to"),
                             ("from=2024-03-02T00:00:00Z&to=2024-03-01T00:00:00Z", "from"),
                             ("from=2000-01-01T00:00:00Z&to=2024-01-01T00:00:00Z", "step"),
                             ("from=0001-01-01T00:00:00Z", "from"), ("bucket=1", "bucket")):
        response = await client.get(f"/v1/services/bt/timeline?{query}")
        body = await conformance.check("GET", "/v1/services/{slug}/timeline", response)
        assert response.status == 400, query
        assert body["parameter"] == parameter, query
    missing = await client.get("/v1/services/btt/timeline")
    assert missing.status == 404


async def test_incidents_filter_and_page(client: TestClient[Any, Any], pool: asyncpg.Pool,
                                         conformance: Conformance) -> None:
    out = TickOutput(incidents=[
        incident("adyen", START, ended=START + timedelta(hours=1)),
        incident("adyen", START + timedelta(days=1), ended=None),
        incident("airbnb", START + timedelta(days=2), ended=START + timedelta(days=2, hours=1)),
    ])
    async with pool.acquire() as conn:
        await write_tick(conn, out)
    board_of(client).publish({}, START + timedelta(days=3))

    everything = await conformance.check("GET", "/v1/incidents",
                                         await client.get("/v1/incidents?service=adyen"))
    assert everything["as_of"] == "2024-03-04T12:00:00Z", "the board's time: active incidents last until it"
    assert [i["status"] for i in everything["incidents"]] == ["active", "resolved"]
    newest = everything["incidents"][0]
    assert newest == {"id": int((START + timedelta(days=1)).timestamp()), "service": "adyen",
                      "status": "active", "severity": "down", "started_at": "2024-03-02T12:00:00Z",
                      "detected_at": "2024-03-02T12:02:00Z", "peak_at": None, "peak_count": 40.0,
                      "ended_at": None, "problems": {"login": 0.7}, "locations": {}}, \
        "every field once, none repeated inside a nested object"
    active = await conformance.check("GET", "/v1/incidents",
                                     await client.get("/v1/incidents?service=adyen&status=active"))
    assert [i["started_at"] for i in active["incidents"]] == ["2024-03-02T12:00:00Z"]
    first_day = "/v1/incidents?from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z"
    early = await conformance.check("GET", "/v1/incidents", await client.get(first_day))
    assert [(i["service"], i["started_at"]) for i in early["incidents"]] == [
        ("adyen", "2024-03-01T12:00:00Z")]
    page = await conformance.check("GET", "/v1/incidents",
                                   await client.get("/v1/incidents?from=2024-03-01T00:00:00Z&limit=2"))
    assert page["count"] == 2 and page["next_offset"] == 2
    rest = await conformance.check(
        "GET", "/v1/incidents", await client.get("/v1/incidents?from=2024-03-01T00:00:00Z&limit=2&offset=2"))
    assert rest["next_offset"] is None


async def test_bad_incident_parameters_are_4xx_problems(client: TestClient[Any, Any],
                                                        conformance: Conformance) -> None:
    for query, status in (("status=open", 400), ("limit=0", 400), ("limit=501", 400), ("offset=-1", 400),
                          ("service=nosuch", 404), ("from=noon", 400)):
        response = await client.get(f"/v1/incidents?{query}")
        await conformance.check("GET", "/v1/incidents", response)
        assert response.status == status, query
