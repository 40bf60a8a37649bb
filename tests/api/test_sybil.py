"""Sybil resistance of POST /v1/reports: who counts is the network (or a token bound to it), never
the User-Agent; only the first report of an identity per service per window counts, the rest are
stored with ``counted = false``; ``counts.reporters`` is distinct networks."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from api.client_identity import TOKEN_HEADER
from downwatch.config import Settings
from tests.api.conftest import AppFactory, unique_address

ROUTE = "/v1/reports"


async def report(client: TestClient[Any, Any], service: str, address: str, agent: str,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    response = await client.post(ROUTE, json={"service": service, "problem": "login"},
                                 headers={"User-Agent": agent, "X-Forwarded-For": address, **(headers or {})})
    return response.status, await response.json()


async def stored(pool: asyncpg.Pool, ids: list[str]) -> dict[str, bool]:
    rows = await pool.fetch("SELECT external_id, counted FROM signals WHERE external_id = ANY($1::text[])",
                            ids)
    return {row["external_id"]: row["counted"] for row in rows}


async def counts_of(pool: asyncpg.Pool, service: str) -> tuple[int, int]:
    row = await pool.fetchrow("SELECT coalesce(sum(n), 0) AS n, coalesce(sum(reporters), 0) AS r "
                              "FROM counts WHERE service = $1", service)
    return int(row["n"]), int(row["r"])


def v4_network() -> str:
    """A random IPv4 /24 prefix (three octets) in 10.0.0.0/8."""
    parts = unique_address().split(":")
    value = int(parts[2], 16) << 8 | (int(parts[3], 16) & 0xff)
    return f"10.{(value >> 16) & 0xff}.{(value >> 8) & 0xff}"


async def test_one_address_with_300_user_agents_counts_once(fresh_database_url: str, make_client: AppFactory,
                                                            settings: Settings) -> None:
    client = await make_client(replace(settings, database_url=fresh_database_url))
    address = unique_address()
    answers = await asyncio.gather(*(report(client, "bt", address, f"agent-{i}") for i in range(300)))
    assert [status for status, _ in answers] == [202] * 300
    assert sum(body["counted"] for _, body in answers) == 1
    ids = [body["id"] for _, body in answers]
    assert len(set(ids)) == 300, "each user agent's report is its own stored row"
    pool = await asyncpg.create_pool(fresh_database_url, min_size=1, max_size=1)
    try:
        rows = await stored(pool, ids)
        assert len(rows) == 300 and sum(rows.values()) == 1, "every report stored, one counted"
        assert await counts_of(pool, "bt") == (1, 1)
    finally:
        await pool.close()


async def test_addresses_of_one_network_count_once_and_reporters_are_networks(
        fresh_database_url: str, make_client: AppFactory, settings: Settings) -> None:
    client = await make_client(replace(settings, database_url=fresh_database_url))
    prefix = v4_network()
    same_v4 = [await report(client, "bt", f"{prefix}.{host}", "same") for host in (1, 77, 254)]
    v6 = unique_address().rsplit("::", 1)[0]
    same_v6 = [await report(client, "bt", f"{v6}::{host:x}:1", "same") for host in (1, 2, 0xbeef)]
    others = [await report(client, "bt", f"10.250.{i}.9", "same") for i in range(5)]
    assert [body["counted"] for _, body in same_v4] == [True, False, False]
    assert [body["counted"] for _, body in same_v6] == [True, False, False]
    assert [body["counted"] for _, body in others] == [True] * 5
    mapped = await report(client, "bt", f"::ffff:{prefix}.200", "same")
    assert mapped[1]["counted"] is False, "an IPv4-mapped IPv6 address is its IPv4 network"
    pool = await asyncpg.create_pool(fresh_database_url, min_size=1, max_size=1)
    try:
        assert await counts_of(pool, "bt") == (7, 7)
        assert len(await stored(pool, [b["id"] for _, b in same_v4 + same_v6 + others + [mapped]])) == 12
    finally:
        await pool.close()


async def test_retry_is_stored_once_and_not_counted_again(make_client: AppFactory,
                                                          pool: asyncpg.Pool) -> None:
    client = await make_client()
    address = unique_address()
    first = await report(client, "github", address, "retrying-agent")
    again = await report(client, "github", address, "retrying-agent")
    assert first[1]["counted"] is True and again[1]["counted"] is False
    assert again[1]["id"] == first[1]["id"]
    assert await stored(pool, [first[1]["id"]]) == {first[1]["id"]: True}


async def test_a_network_counts_once_per_service_not_once_overall(make_client: AppFactory) -> None:
    client = await make_client()
    address = unique_address()
    answers = [await report(client, service, address, "one") for service in ("bt", "github", "bt")]
    assert [body["counted"] for _, body in answers] == [True, True, False]


async def test_rotating_the_user_agent_does_not_escape_the_rate_limit(make_client: AppFactory,
                                                                       settings: Settings) -> None:
    client = await make_client(replace(settings, report_rate_per_minute=5))
    address = unique_address()
    statuses = [(await report(client, "bt", address, f"rotating-{i}"))[0] for i in range(8)]
    assert statuses == [202] * 5 + [429] * 3
    elsewhere = await report(client, "bt", unique_address(), "rotating-0")
    assert elsewhere[0] == 202, "another network has a bucket of its own"


async def test_addresses_of_one_network_share_its_rate(make_client: AppFactory, settings: Settings) -> None:
    client = await make_client(replace(settings, report_rate_per_minute=3))
    prefix = v4_network()
    statuses = [(await report(client, "bt", f"{prefix}.{i}", f"x{i}"))[0] for i in range(1, 7)]
    assert statuses == [202] * 3 + [429] * 3


async def token_for(client: TestClient[Any, Any], address: str) -> str:
    response = await client.post("/v1/client-tokens", headers={"X-Forwarded-For": address})
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["header"] == TOKEN_HEADER and body["slots_per_network"] == 3
    return str(body["token"])


async def test_tokens_give_a_network_a_few_more_counted_reports_and_still_one_reporter(
        fresh_database_url: str, make_client: AppFactory, settings: Settings) -> None:
    client = await make_client(replace(settings, database_url=fresh_database_url))
    prefix = v4_network()
    tokens = [await token_for(client, f"{prefix}.{i}") for i in range(1, 6)]
    plain = await report(client, "bt", f"{prefix}.50", "phone")
    with_tokens = [await report(client, "bt", f"{prefix}.{60 + i}", "phone", {TOKEN_HEADER: token})
                   for i, token in enumerate(tokens)]
    again = await report(client, "bt", f"{prefix}.60", "phone", {TOKEN_HEADER: tokens[0]})
    assert plain[1]["counted"] is True
    assert [body["counted"] for _, body in with_tokens] == [True, True, True, False, False], \
        "three token slots per network per window"
    assert again[1]["counted"] is False, "a token counts once per window"
    other = await report(client, "bt", f"{prefix}.70", "phone", {TOKEN_HEADER: tokens[1]})
    assert other[1]["counted"] is False
    elsewhere = await report(client, "github", f"{prefix}.61", "phone", {TOKEN_HEADER: tokens[0]})
    assert elsewhere[1]["counted"] is True, "slots are per service"
    pool = await asyncpg.create_pool(fresh_database_url, min_size=1, max_size=1)
    try:
        assert await counts_of(pool, "bt") == (4, 1), "four counted reports, one network"
        rows = await stored(pool, [b["id"] for _, b in [plain, *with_tokens, again, other]])
        assert len(rows) == 7 and sum(rows.values()) == 4
    finally:
        await pool.close()


async def test_a_token_from_another_network_or_garbage_counts_as_the_network(make_client: AppFactory) -> None:
    client = await make_client()
    token = await token_for(client, unique_address())
    here = unique_address()
    first = await report(client, "bt", here, "moved", {TOKEN_HEADER: token})
    second = await report(client, "bt", here, "moved-too", {TOKEN_HEADER: token + "x"})
    third = await report(client, "bt", here, "moved-3", {TOKEN_HEADER: "dw1.\u00e9\u00e9.1.zz"})
    assert [first[0], second[0], third[0]] == [202, 202, 202]
    assert [first[1]["counted"], second[1]["counted"], third[1]["counted"]] == [True, False, False]


async def test_a_network_is_issued_a_few_tokens_an_hour(make_client: AppFactory) -> None:
    client = await make_client()
    address = unique_address()
    statuses = []
    for _ in range(8):
        response = await client.post("/v1/client-tokens", headers={"X-Forwarded-For": address})
        statuses.append(response.status)
    assert statuses == [201] * 6 + [429] * 2
    assert (await response.json())["limit"] == "client-tokens" and int(response.headers["Retry-After"]) >= 1
    elsewhere = await client.post("/v1/client-tokens", headers={"X-Forwarded-For": unique_address()})
    assert elsewhere.status == 201


async def test_tokens_do_not_raise_a_networks_rate(make_client: AppFactory, settings: Settings) -> None:
    client = await make_client(replace(settings, report_rate_per_minute=1))  # a network: 6 a minute
    prefix = v4_network()
    tokens = [await token_for(client, f"{prefix}.{i}") for i in range(1, 7)]
    first = await report(client, "bt", f"{prefix}.1", "x")
    statuses = [(await report(client, "github", f"{prefix}.1", "x", {TOKEN_HEADER: token}))[0]
                for token in tokens]
    assert first[0] == 202 and statuses == [202] * 5 + [429]
    _, problem = await report(client, "gitlab", f"{prefix}.2", "x", {TOKEN_HEADER: tokens[5]})
    assert problem["limit"] == "network"


async def test_the_caps_are_settings(make_client: AppFactory, settings: Settings) -> None:
    client = await make_client(replace(settings, client_token_slots=1, client_tokens_per_network_per_hour=2,
                                       report_rate_per_minute=5, report_rate_per_network_per_minute=3))
    prefix = v4_network()
    issued = [await client.post("/v1/client-tokens", headers={"X-Forwarded-For": f"{prefix}.{i}"})
              for i in range(1, 4)]
    assert [r.status for r in issued] == [201, 201, 429]
    bodies = [await r.json() for r in issued[:2]]
    assert all(body["slots_per_network"] == 1 for body in bodies)
    tokens = [str(body["token"]) for body in bodies]
    counted = [(await report(client, "bt", f"{prefix}.{9 + i}", "p", {TOKEN_HEADER: token}))[1]["counted"]
               for i, token in enumerate(tokens)]
    assert counted == [True, False], "one token slot per network per window"
    status, problem = await report(client, "github", f"{prefix}.20", "p")
    assert status == 202
    status, problem = await report(client, "github", f"{prefix}.21", "q")
    assert status == 429 and problem["limit"] == "network", "three a minute for the whole network"
