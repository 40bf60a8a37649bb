"""The rest of the surface: statuspage summaries, docs, health, metrics, CORS, admin, error shapes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from api.keys import CATALOG_EDIT_LISTENERS
from downwatch.config import Settings
from downwatch.records import Service
from downwatch.store.health import record_error, record_success
from tests.api.conftest import ADMIN_TOKEN, AppFactory, Conformance, board_of

AT = datetime(2025, 2, 4, 8, 40, tzinfo=UTC)
DASHBOARD_MODULES = "api.routes.dashboard"  # the dashboard's pages and their private data routes
SUMMARY_PATHS = ("/v1/services/{slug}/statuspage.json", "/v1/statuspage/{slug}/api/v2/summary.json")


async def summary(client: TestClient[Any, Any], conformance: Conformance, slug: str) -> dict[str, Any]:
    bodies = []
    for template in SUMMARY_PATHS:
        response = await client.get(template.format(slug=slug))
        bodies.append(await conformance.check("GET", template, response))
    assert bodies[0] == bodies[1]
    result: dict[str, Any] = bodies[0]
    return result


async def test_statuspage_indicator_follows_the_verdict(client: TestClient[Any, Any],
                                                        conformance: Conformance) -> None:
    board = board_of(client)
    unknown = await summary(client, conformance, "bt")
    assert unknown["status"]["indicator"] == "none"
    assert unknown["status"]["description"].startswith("Status unknown")
    expected = [("up", 0.5, "none", "operational"), ("degraded", 0.6, "minor", "degraded_performance"),
                ("down", 0.7, "major", "partial_outage"), ("down", 0.95, "critical", "major_outage")]
    for status, confidence, indicator, component in expected:
        board.publish({"bt": {"status": status, "confidence": confidence, "incident_id": 3,
                              "explanation": "why"}}, AT)
        body = await summary(client, conformance, "bt")
        assert body["status"]["indicator"] == indicator
        assert body["components"][0]["status"] == component
        assert len(body["incidents"]) == (0 if indicator == "none" else 1)
        assert body["page"]["name"] == "BT" and body["scheduled_maintenances"] == []


async def test_openapi_and_docs_describe_every_route(client: TestClient[Any, Any],
                                                     served_spec: dict[str, Any]) -> None:
    served = {(route.method, route.resource.canonical) for route in client.app.router.routes()
              if route.resource is not None and route.method not in ("HEAD", "*")
              and (route.resource.canonical == "/"
                   or not route.handler.__module__.startswith(DASHBOARD_MODULES))}
    documented = {(method.upper(), path) for path, item in served_spec["paths"].items() for method in item}
    assert served == documented
    docs = await client.get("/docs")
    assert docs.status == 200 and docs.content_type == "text/html"
    html = await docs.text()
    for path in served_spec["paths"]:
        assert f"<code>{path}</code>" in html
    assert "<script" not in html


async def test_health_reports_each_source(client: TestClient[Any, Any], pool: asyncpg.Pool,
                                          conformance: Conformance) -> None:
    await record_success(pool, "reddit", 12, 3.5)
    await record_error(pool, "mastodon", "HTTP 503 from mastodon.social")
    board_of(client).publish({}, datetime.now(UTC))
    body = await conformance.check("GET", "/healthz", await client.get("/healthz"))
    states = {source["source"]: source["state"] for source in body["sources"]}
    assert states["reddit"] == "ok" and states["mastodon"] == "failing"
    assert body["store"] == "ok" and body["status"] == "ok"


async def test_metrics_count_requests_latencies_and_verdicts(client: TestClient[Any, Any]) -> None:
    board_of(client).publish({"bt": {"status": "down", "explanation": "x"}}, AT)
    await client.get("/v1/services/bt")
    await client.get("/v1/services/nosuch")
    response = await client.get("/metrics")
    assert response.content_type == "text/plain"
    text = await response.text()
    assert 'downwatch_http_requests_total{method="GET",route="/v1/services/{slug}",status="200"} 1' in text
    assert 'downwatch_http_requests_total{method="GET",route="/v1/services/{slug}",status="404"} 1' in text
    assert 'downwatch_http_request_duration_seconds_bucket{route="/v1/services/{slug}",le="+Inf"} 2' in text
    assert 'downwatch_verdicts{status="down"} 1' in text


async def test_root_points_at_the_docs_until_the_dashboard_exists(client: TestClient[Any, Any]) -> None:
    response = await client.get("/", allow_redirects=False)
    assert response.status in (200, 302)
    if response.status == 302:
        assert response.headers["Location"] == "/docs"


async def test_cors_for_the_public_api_only(client: TestClient[Any, Any]) -> None:
    origin = {"Origin": "https://news.example"}
    simple = await client.get("/v1/services/bt", headers=origin)
    assert simple.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in simple.headers["Access-Control-Expose-Headers"]
    preflight = await client.options("/v1/reports", headers={
        **origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    admin = await client.options("/v1/admin/services/bt", headers={**origin,
                                                                   "Access-Control-Request-Method": "PUT"})
    assert admin.status == 405 and "Access-Control-Allow-Origin" not in admin.headers


async def test_cors_with_a_list_of_origins(make_client: AppFactory, settings: Settings) -> None:
    client = await make_client(replace(settings, cors_origins=("https://news.example",)))
    allowed = await client.get("/v1/services/bt", headers={"Origin": "https://news.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "Origin" in allowed.headers["Vary"]
    other = await client.get("/v1/services/bt", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_admin_routes_need_the_bearer_token(client: TestClient[Any, Any], pool: asyncpg.Pool,
                                                  conformance: Conformance) -> None:
    entry = {"name": "Example Bank", "country": "GB", "category": "bank", "aliases": ["ExBank"],
             "domains": ["examplebank.co.uk"]}
    template = "/v1/admin/services/{slug}"
    for headers, status in (({}, 401), ({"Authorization": "Bearer wrong"}, 401),
                            ({"Authorization": f"Basic {ADMIN_TOKEN}"}, 401)):
        response = await client.put("/v1/admin/services/example-bank", json=entry, headers=headers)
        await conformance.check("PUT", template, response)
        assert response.status == status
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    response = await client.put("/v1/admin/services/example-bank", json=entry, headers=auth)
    body = await conformance.check("PUT", template, response)
    assert response.status == 200 and body["slug"] == "example-bank"
    assert await pool.fetchval("SELECT origin FROM services WHERE slug = 'example-bank'") == "admin"
    verdict = await (await client.get("/v1/services/example-bank")).json()
    assert verdict["name"] == "Example Bank" and verdict["status"] == "unknown"

    invalid = await client.put("/v1/admin/services/example-bank", json={**entry, "category": "pets"},
                               headers=auth)
    assert invalid.status == 422 and "category" in (await invalid.json())["detail"]
    unknown_field = await client.put("/v1/admin/services/example-bank", json={**entry, "colour": "red"},
                                     headers=auth)
    assert unknown_field.status == 422
    for bad in ({**entry, "handles": None}, {**entry, "name": "Ex\u0000Bank"}):
        response = await client.put("/v1/admin/services/example-bank", json=bad, headers=auth)
        assert response.status == 422, bad
    taken = await client.put("/v1/admin/services/example-bank", json={**entry, "aliases": ["GitHub"]},
                             headers=auth)
    body = await conformance.check("PUT", template, taken)
    assert taken.status == 409 and body["closest"] == ["github"]

    template = "/v1/admin/sources/{name}/{action}"
    paused = await client.post("/v1/admin/sources/reddit/pause", headers=auth)
    assert await conformance.check("POST", template, paused) == {"source": "reddit", "paused": True}
    assert await pool.fetchval("SELECT paused FROM source_health WHERE source = 'reddit'") is True
    resumed = await client.post("/v1/admin/sources/reddit/resume", headers=auth)
    assert (await resumed.json())["paused"] is False


async def test_an_edit_that_cannot_be_shared_is_stored_and_answers_503(client: TestClient[Any, Any],
                                                                       pool: asyncpg.Pool) -> None:
    heard: list[str] = []

    async def unreachable(service: Service) -> None:
        heard.append(service.slug)
        raise ConnectionError("nats away")

    client.app[CATALOG_EDIT_LISTENERS].append(unreachable)
    entry = {"name": "Example Bank", "country": "GB", "category": "bank"}
    response = await client.put("/v1/admin/services/example-bank", json=entry,
                                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status == 503 and response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "2" and "repeat the PUT" in (await response.json())["detail"]
    assert heard == ["example-bank"]
    assert await pool.fetchval("SELECT origin FROM services WHERE slug = 'example-bank'") == "admin"


async def test_admin_routes_are_disabled_without_a_token(make_client: AppFactory, settings: Settings) -> None:
    client = await make_client(replace(settings, admin_token=None))
    response = await client.post("/v1/admin/sources/reddit/pause",
                                 headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status == 403


async def test_framework_errors_are_problem_details(client: TestClient[Any, Any]) -> None:
    docs = await (await client.get("/docs")).text()
    for method, path, status in (("GET", "/nowhere", 404), ("DELETE", "/v1/services/bt", 405),
                                 ("PATCH", "/v1/reports", 405), ("GET", "/v1/services?x=1", 400),
                                 ("POST", "/v1/admin/sources/reddit/pause", 401)):
        response = await client.request(method, path)
        assert response.status == status
        assert response.content_type == "application/problem+json"
        body = await response.json(content_type=None)
        assert body["status"] == status and body["title"] and body["instance"] == path.split("?")[0]
        anchor = body["type"].removeprefix("/docs#")
        assert f'id="{anchor}"' in docs, f"{body['type']} is not explained on /docs"
        if status == 405:
            assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]


async def test_without_a_store_reads_still_work_and_writes_say_503(make_client: AppFactory,
                                                                   settings: Settings) -> None:
    client = await make_client(replace(settings, database_url=None))
    assert (await client.get("/v1/services/bt")).status == 200
    report = await client.post("/v1/reports", json={"service": "bt", "problem": "login"})
    assert report.status == 503 and report.headers["Retry-After"]
    assert (await client.get("/v1/incidents")).status == 503
    health = await (await client.get("/healthz")).json()
    assert health["store"] == "absent"


async def test_every_route_is_behind_the_edge(client: TestClient[Any, Any]) -> None:
    unwrapped = [route for route in client.app.router.routes() if not hasattr(route.handler, "__wrapped__")]
    assert unwrapped == []
    response = await client.get("/dashboard/data/services/nosuch")
    assert response.status == 404 and response.content_type == "application/problem+json"
    text = await (await client.get("/metrics")).text()
    assert 'route="/dashboard/data/services/{slug}",status="404"' in text
    unmatched = 'downwatch_http_requests_total{method="GET",route="unmatched",status="404"} 1'
    assert unmatched not in text
    await client.get("/nowhere")
    assert unmatched in await (await client.get("/metrics")).text()
