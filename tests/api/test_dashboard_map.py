"""GET /dashboard/data/locations on a real PostgreSQL: reports per place with coordinates, one service or
all, the range, places off the map, caching and bad input; and every gazetteer place is on the map."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from api.keys import BOARD
from api.place_coordinates import COORDINATES
from api.places import mapped_places
from downwatch.config import Settings
from downwatch.records import Kind, Problem, Signal
from downwatch.store.pool import connect
from downwatch.store.signals import insert_signals
from ingest.text.resources import load_json
from tests.api.conftest import AppFactory

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
PLACES = {"bt": {"London": 7, "Leeds": 3, "Atlantis": 2}, "sky": {"London": 4, "Paris": 1}}
OLD = {"bt": {"Glasgow": 5}}  # five hours ago: outside the default three hours


def reports(places: dict[str, dict[str, int]], at: datetime, tag: str) -> list[Signal]:
    found = []
    for service, counts in places.items():
        for place, n in counts.items():
            found += [Signal(service=service, kind=Kind.REPORT, problem=Problem.LOGIN, observed_at=at,
                             source="reports", external_id=f"{tag}-{service}-{place}-{i}", location=place)
                      for i in range(n)]
    return found


@pytest.fixture
async def map_client(make_client: AppFactory, fresh_database_url: str) -> TestClient[Any, Any]:
    conn = await connect(fresh_database_url)
    try:
        await insert_signals(conn, reports(PLACES, NOW - timedelta(minutes=20), "new")
                             + reports(OLD, NOW - timedelta(hours=5), "old"))
    finally:
        await conn.close()
    client = await make_client(Settings(database_url=fresh_database_url, hash_key="map-test-key",
                                        tick_seconds=5.0))
    client.app[BOARD].publish({"bt": {"status": "up"}}, NOW)
    return client


async def located(client: TestClient[Any, Any], **params: str) -> dict[str, Any]:
    response = await client.get("/dashboard/data/locations", params=params)
    assert response.status == 200, await response.text()
    document: dict[str, Any] = await response.json()
    return document


async def test_one_service_places_with_coordinates_and_the_unplaced_apart(
        map_client: TestClient[Any, Any]) -> None:
    document = await located(map_client, service="bt")
    assert document["service"] == "bt" and document["total"] == 12
    assert [(p["name"], p["n"]) for p in document["places"]] == [("London", 7), ("Leeds", 3)]
    london = document["places"][0]
    assert (london["lat"], london["lon"]) == COORDINATES["London"]
    assert (london["country"], london["kind"]) == ("GB", "city")
    assert document["unplaced"] == [{"name": "Atlantis", "n": 2}]
    assert document["to"] == "2026-03-04T09:31:00Z" and document["from"] == "2026-03-04T06:31:00Z"


async def test_every_service_is_summed_per_place(map_client: TestClient[Any, Any]) -> None:
    document = await located(map_client)
    assert document["service"] is None and document["total"] == 17
    assert [(p["name"], p["n"]) for p in document["places"]] == [("London", 11), ("Leeds", 3), ("Paris", 1)]


async def test_a_longer_range_reaches_older_reports(map_client: TestClient[Any, Any]) -> None:
    by_hours = await located(map_client, service="bt", hours="6")
    assert {p["name"]: p["n"] for p in by_hours["places"]} == {"London": 7, "Leeds": 3, "Glasgow": 5}
    hour = {"from": "2026-03-04T04:00:00Z", "to": "2026-03-04T05:00:00Z"}
    by_range = await located(map_client, service="bt", **hour)
    assert [(p["name"], p["n"]) for p in by_range["places"]] == [("Glasgow", 5)] and by_range["total"] == 5


async def test_the_answer_is_cached_until_the_next_tick(map_client: TestClient[Any, Any]) -> None:
    first = await map_client.get("/dashboard/data/locations", params={"service": "bt"})
    etag = first.headers["ETag"]
    again = await map_client.get("/dashboard/data/locations", params={"service": "bt"},
                                 headers={"If-None-Match": etag})
    assert again.status == 304 and "max-age=" in again.headers["Cache-Control"]


BAD_INPUT = [
    ({"service": "no-such-service"}, 404, None),
    ({"hours": "0"}, 400, "hours"),
    ({"hours": "49"}, 400, "hours"),
    ({"hours": "3", "from": "2026-03-04T04:00:00Z"}, 400, "hours"),
    ({"from": "2026-03-01T00:00:00Z"}, 400, "from"),  # every service: at most 48 hours
    ({"service": "bt", "from": "2026-01-01T00:00:00Z"}, 400, "from"),  # one service: at most 31 days
    ({"from": "yesterday"}, 400, "from"),
    ({"colour": "red"}, 400, "colour"),
]


async def test_bad_input_is_a_problem_not_a_failure(map_client: TestClient[Any, Any]) -> None:
    for params, status, parameter in BAD_INPUT:
        response = await map_client.get("/dashboard/data/locations", params=params)
        assert response.status == status, params
        assert response.headers["Content-Type"].startswith("application/problem+json")
        if parameter is not None:
            assert (await response.json())["parameter"] == parameter


def test_every_gazetteer_place_has_coordinates_on_the_right_map() -> None:
    names = {entry["name"] for entry in load_json("gazetteer.json")["places"]}
    assert set(mapped_places()) == names == set(COORDINATES)
    outline = json.loads(resources.files("api").joinpath("static/map/outline.json").read_text("utf-8"))
    uk = outline["maps"]["uk"]
    for place in mapped_places().values():
        inside_uk_map = uk["west"] <= place.lon <= uk["east"] and uk["south"] <= place.lat <= uk["north"]
        assert inside_uk_map == (place.country in ("GB", "IE")), place
        assert -58 <= place.lat <= 84 and -180 <= place.lon <= 180
