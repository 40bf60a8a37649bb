"""POST /v1/reports: durable before 202, deduplicated per client and window, rate limited, strict."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from api.keys import METRICS
from downwatch.config import Settings
from tests.api.conftest import AppFactory, Conformance, unique_agent

ROUTE = "/v1/reports"


async def stored_reports(pool: asyncpg.Pool, external_id: str) -> list[asyncpg.Record]:
    return list(await pool.fetch("SELECT service, kind, problem, location, author_hash, source "
                                 "FROM signals WHERE external_id = $1", external_id))


async def test_202_only_once_the_report_is_in_the_table(client: TestClient[Any, Any], pool: asyncpg.Pool,
                                                        conformance: Conformance) -> None:
    response = await client.post(ROUTE, json={"service": "bt", "problem": "login", "location": " London "},
                                 headers=unique_agent())
    body = await conformance.check("POST", ROUTE, response)
    assert response.status == 202
    assert body["counted"] is True and body["location"] == "London"
    rows = await stored_reports(pool, body["id"])
    assert len(rows) == 1
    row = rows[0]
    assert (row["service"], row["kind"], row["problem"], row["location"]) == ("bt", "report", "login",
                                                                              "London")
    assert row["author_hash"] and "127.0.0.1" not in row["author_hash"]
    counted = await pool.fetchval("SELECT sum(n) FROM counts WHERE service = 'bt' AND kind = 'report'")
    assert counted >= 1


async def test_a_client_counts_once_per_service_per_window(client: TestClient[Any, Any], pool: asyncpg.Pool,
                                                           conformance: Conformance) -> None:
    agent = unique_agent()
    first = await client.post(ROUTE, json={"service": "github", "problem": "website"}, headers=agent)
    second = await client.post(ROUTE, json={"service": "github", "problem": "login"}, headers=agent)
    other_service = await client.post(ROUTE, json={"service": "bt", "problem": "email"}, headers=agent)
    other_client = await client.post(ROUTE, json={"service": "github", "problem": "website"},
                                     headers=unique_agent())
    bodies = [await conformance.check("POST", ROUTE, r) for r in (first, second, other_service, other_client)]
    assert [r.status for r in (first, second, other_service, other_client)] == [202] * 4
    assert [b["counted"] for b in bodies] == [True, False, True, True]
    assert bodies[0]["id"] == bodies[1]["id"]
    assert len(await stored_reports(pool, bodies[0]["id"])) == 1


async def test_concurrent_reports_are_committed_together_and_none_lost(client: TestClient[Any, Any],
                                                                       pool: asyncpg.Pool) -> None:
    responses = await asyncio.gather(*(
        client.post(ROUTE, json={"service": "bt", "problem": "connection"}, headers=unique_agent())
        for _ in range(200)))
    assert all(r.status == 202 for r in responses)
    ids = [(await r.json())["id"] for r in responses]
    stored = await pool.fetchval("SELECT count(*) FROM signals WHERE external_id = ANY($1::text[])", ids)
    assert stored == 200
    batches = client.app[METRICS].report_batches
    assert sum(sum(counts) for counts in batches.counts.values()) < 200, "expected group commits"


async def test_per_client_rate_limit_answers_429_with_retry_after(make_client: AppFactory, settings: Settings,
                                                                  conformance: Conformance) -> None:
    client = await make_client(replace(settings, report_rate_per_minute=3))
    agent = unique_agent()
    statuses = []
    for slug in ("bt", "github", "gitlab", "adyen"):
        response = await client.post(ROUTE, json={"service": slug, "problem": "other"}, headers=agent)
        statuses.append(response.status)
        last = response
    assert statuses == [202, 202, 202, 429]
    body = await conformance.check("POST", ROUTE, last)
    assert body["limit"] == "client"
    assert int(last.headers["Retry-After"]) >= 1
    fresh = await client.post(ROUTE, json={"service": "bt", "problem": "other"}, headers=unique_agent())
    assert fresh.status == 202, "another client is not limited"


async def test_global_rate_limit_answers_429(make_client: AppFactory, settings: Settings) -> None:
    client = await make_client(replace(settings, report_global_rate_per_second=2))
    statuses = [(await client.post(ROUTE, json={"service": "bt", "problem": "app"},
                                   headers=unique_agent())).status for _ in range(4)]
    assert statuses[:2] == [202, 202] and 429 in statuses[2:]


async def test_bad_bodies_are_4xx_problems(client: TestClient[Any, Any], conformance: Conformance) -> None:
    cases: list[tuple[bytes, str, int, str | None]] = [
        (b"{not json", "application/json", 400, None),
        (b"", "application/json", 400, None),
        (b"[1, 2]", "application/json", 422, ""),
        (b'{"service": "bt", "problem": "login", "extra": 1}', "application/json", 422, "extra"),
        (b'{"service": 7, "problem": "login"}', "application/json", 422, "service"),
        (b'{"service": "bt"}', "application/json", 422, "problem"),
        (b'{"service": "bt", "problem": "sadness"}', "application/json", 422, "problem"),
        (b'{"service": "bt", "problem": "login", "location": 3}', "application/json", 422, "location"),
        (b'{"service": "bt", "problem": "login", "location": "a\\u0000b"}', "application/json", 422,
         "location"),
        (b'{"service": "bt", "problem": "login", "location": "' + b"x" * 81 + b'"}', "application/json", 422,
         "location"),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400, None),
        (b"service=bt&problem=login", "application/x-www-form-urlencoded", 415, None),
        (b'{"service": "bt", "problem": "login", "location": "' + b"x" * 20_000 + b'"}',
         "application/json", 413, None),
    ]
    for body, content_type, status, field in cases:
        response = await client.post(ROUTE, data=body, headers={"Content-Type": content_type,
                                                                **unique_agent()})
        problem = await conformance.check("POST", ROUTE, response)
        assert response.status == status, (body[:60], await response.text())
        assert response.content_type == "application/problem+json"
        assert problem["status"] == status and problem["detail"]
        if field is not None:
            assert problem["field"] == field


async def test_unknown_service_is_a_404_with_the_closest_slugs(client: TestClient[Any, Any],
                                                               conformance: Conformance) -> None:
    response = await client.post(ROUTE, json={"service": "gitlub", "problem": "website"},
                                 headers=unique_agent())
    body = await conformance.check("POST", ROUTE, response)
    assert response.status == 404
    assert "gitlab" in body["closest"]


async def test_report_outcomes_are_counted_in_metrics(client: TestClient[Any, Any]) -> None:
    agent = unique_agent()
    await client.post(ROUTE, json={"service": "bt", "problem": "login"}, headers=agent)
    await client.post(ROUTE, json={"service": "bt", "problem": "login"}, headers=agent)
    await client.post(ROUTE, json={"service": "nope", "problem": "login"}, headers=agent)
    text = await (await client.get("/metrics")).text()
    assert 'downwatch_reports_total{outcome="counted"} 1' in text
    assert 'downwatch_reports_total{outcome="duplicate"} 1' in text
    assert 'downwatch_reports_total{outcome="not-found"} 1' in text


async def test_a_restarted_process_still_counts_a_client_once(make_client: AppFactory,
                                                              pool: asyncpg.Pool) -> None:
    agent = unique_agent()
    first = await make_client()
    one = await (await first.post(ROUTE, json={"service": "adyen", "problem": "payments"},
                                  headers=agent)).json()
    await first.close()
    second = await make_client()
    two = await (await second.post(ROUTE, json={"service": "adyen", "problem": "payments"},
                                   headers=agent)).json()
    assert one["counted"] is True and two["counted"] is False
    assert len(await stored_reports(pool, one["id"])) == 1


async def test_forwarded_for_is_believed_only_from_trusted_proxies(make_client: AppFactory,
                                                                   settings: Settings) -> None:
    agent = unique_agent()

    async def answer(client: TestClient[Any, Any], forwarded_for: str) -> dict[str, Any]:
        response = await client.post(ROUTE, json={"service": "airbnb", "problem": "app"},
                                     headers={**agent, "X-Forwarded-For": forwarded_for})
        body: dict[str, Any] = await response.json()
        return body

    async def counted(client: TestClient[Any, Any], forwarded_for: str) -> bool:
        return bool((await answer(client, forwarded_for))["counted"])

    untrusting = await make_client(replace(settings, trusted_proxies=()))
    first, second = await answer(untrusting, "203.0.113.1"), await answer(untrusting, "198.51.100.7")
    assert second["counted"] is False and second["id"] == first["id"], "the header named no one"
    await untrusting.close()
    behind_proxy = await make_client(replace(settings, trusted_proxies=("127.0.0.0/8",)))
    assert [await counted(behind_proxy, "198.51.100.1"), await counted(behind_proxy, "203.0.113.2"),
            await counted(behind_proxy, "192.0.2.9, 203.0.113.2")] == [True, True, False]


async def test_a_report_for_a_product_counts_for_its_parent(client: TestClient[Any, Any],
                                                            pool: asyncpg.Pool) -> None:
    response = await client.post(ROUTE, json={"service": "google-pay", "problem": "payments"},
                                 headers=unique_agent())
    assert response.status == 202 and (await response.json())["counted"] is True
    rows = await pool.fetch("SELECT service, sum(n) AS n FROM counts WHERE kind = 'report' "
                            "AND service IN ('google', 'google-pay') GROUP BY service ORDER BY service")
    assert [(r["service"], r["n"]) for r in rows] == [("google", 1), ("google-pay", 1)]
