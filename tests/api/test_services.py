"""GET /v1/services and /v1/services/{slug}: answered from the board, cacheable, conditional."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from tests.api.conftest import Conformance, board_of

AT = datetime(2025, 2, 4, 8, 40, 5, tzinfo=UTC)


def down_verdict(**extra: Any) -> dict[str, Any]:
    return {"status": "down", "since": "2025-02-04T08:12:00Z", "confidence": 0.97, "observed": 412.0,
            "expected": 11.3, "ratio": 36.5, "score": 0.9999, "bucket": "2025-02-04T08:40:00Z",
            "updated_at": "2025-02-04T08:40:05Z", "problems": {"login": 0.41, "billing": 0.22},
            "locations": {"London": 120}, "sources": {"report": {"observed": 300.0, "expected": 8.0,
                                                                 "score": 0.9999}},
            "official": {"indicator": "none", "description": "All Systems Operational", "incident": None},
            "incident_id": 17, "explanation": "412 reports and posts in the last minute against 11 expected",
            **extra}


async def test_unscored_services_are_unknown_with_a_reason(client: TestClient[Any, Any],
                                                          conformance: Conformance) -> None:
    response = await client.get("/v1/services/github")
    body = await conformance.check("GET", "/v1/services/{slug}", response)
    assert body["status"] == "unknown"
    assert "no verdict yet" in body["explanation"]
    assert body["name"] == "GitHub"


async def test_published_verdict_is_served_with_explanation(client: TestClient[Any, Any],
                                                            conformance: Conformance) -> None:
    board_of(client).publish({"bt": down_verdict()}, AT)
    response = await client.get("/v1/services/bt")
    body = await conformance.check("GET", "/v1/services/{slug}", response)
    assert body["status"] == "down"
    assert body["observed"] == 412.0 and body["expected"] == 11.3
    assert body["official"]["indicator"] == "none"
    assert body["explanation"].startswith("412 reports")
    cache_control = response.headers["Cache-Control"]
    assert cache_control.startswith("public, max-age=")
    assert 1 <= int(cache_control.split("max-age=")[1].split(",")[0]) <= 5, "never past the next tick"
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"] == "Tue, 04 Feb 2025 08:40:05 GMT"


async def test_listing_carries_each_status_and_filters(client: TestClient[Any, Any],
                                                       conformance: Conformance) -> None:
    board_of(client).publish({"bt": down_verdict()}, AT)
    response = await client.get("/v1/services")
    body = await conformance.check("GET", "/v1/services", response)
    statuses = {entry["slug"]: entry["status"] for entry in body["services"]}
    assert statuses["bt"] == "down" and statuses["github"] == "unknown"
    assert body["count"] == len(body["services"]) > 2

    down = await conformance.check("GET", "/v1/services", await client.get("/v1/services?status=down"))
    assert [entry["slug"] for entry in down["services"]] == ["bt"]
    found = await conformance.check("GET", "/v1/services", await client.get("/v1/services?q=british telecom"))
    assert [entry["slug"] for entry in found["services"]] == ["bt"]
    developer = await conformance.check("GET", "/v1/services",
                                        await client.get("/v1/services?category=developer"))
    assert "github" in {entry["slug"] for entry in developer["services"]}
    assert all(entry["category"] == "developer" for entry in developer["services"])
    british = await conformance.check("GET", "/v1/services", await client.get("/v1/services?country=gb"))
    assert british["count"] > 0 and all(entry["country"] == "GB" for entry in british["services"])


async def test_unknown_slug_is_a_404_problem_with_the_closest_slugs(client: TestClient[Any, Any],
                                                                    conformance: Conformance) -> None:
    response = await client.get("/v1/services/githib")
    body = await conformance.check("GET", "/v1/services/{slug}", response)
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    assert body["closest"][0] == "github"
    assert "github" in body["detail"]


async def test_conditional_requests_answer_304_until_the_verdict_changes(
        client: TestClient[Any, Any]) -> None:
    board = board_of(client)
    board.publish({"bt": down_verdict()}, AT)
    first = await client.get("/v1/services/bt")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    again = await client.get("/v1/services/bt", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers["ETag"] == etag
    assert await again.read() == b""
    assert (await client.get("/v1/services/bt", headers={"If-Modified-Since": modified})).status == 304
    assert (await client.get("/v1/services/bt", headers={"If-None-Match": f'W/{etag}, "x"'})).status == 304

    board.publish({"github": down_verdict()}, AT + timedelta(seconds=5))
    unchanged = await client.get("/v1/services/bt", headers={"If-None-Match": etag})
    assert unchanged.status == 304, "another service's change must not invalidate this one"

    board.publish({"bt": down_verdict(observed=500.0)}, AT + timedelta(seconds=10))
    changed = await client.get("/v1/services/bt", headers={"If-None-Match": etag})
    assert changed.status == 200
    assert changed.headers["ETag"] != etag
    assert (await changed.json())["observed"] == 500.0
    stale = await client.get("/v1/services/bt", headers={"If-Modified-Since": modified})
    assert stale.status == 200


async def test_listing_answers_304_to_its_own_etag(client: TestClient[Any, Any]) -> None:
    first = await client.get("/v1/services?category=developer")
    again = await client.get("/v1/services?category=developer",
                             headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304


async def test_bad_list_parameters_are_400_problems(client: TestClient[Any, Any],
                                                    conformance: Conformance) -> None:
    for query in ("status=sideways", "colour=red", "status=up&status=down", "q=" + "x" * 101):
        response = await client.get(f"/v1/services?{query}")
        body = await conformance.check("GET", "/v1/services", response)
        assert response.status == 400, query
        assert body["parameter"] in ("status", "colour", "q")


async def test_head_answers_headers_without_a_body(client: TestClient[Any, Any]) -> None:
    response = await client.head("/v1/services/bt")
    assert response.status == 200
    assert response.headers["ETag"]
    assert await response.read() == b""
