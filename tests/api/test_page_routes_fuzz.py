"""A seeded fuzz of every GET route the OpenAPI document does not describe (the dashboard's pages,
its data routes and assets), which schemathesis cannot reach: junk path segments (bytes that are
not UTF-8, traversal, NUL, very long, unknown and known slugs) and junk queries, over a raw socket.
None may answer a server error or log a traceback; data routes and assets answer problems, pages
a page.
"""

from __future__ import annotations

import random
import re
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.api.test_malformed import assert_no_traceback, exchange, request

SEED = 20251203
CASES_PER_ROUTE = 150
PAGE_PREFIXES = ("/s/", "/embed/", "/incidents")
QUERY_KEYS = ("from", "to", "step", "hours", "service", "status", "limit", "offset", "q", "slug",
              "window", "v", "callback", "_", "format")
SEGMENT = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def junk(rng: random.Random) -> str:
    """One path or query value, already percent-encoded for the request line."""
    choice = rng.randrange(9)
    if choice == 0:
        return rng.choice(["bt", "gmail", "santander", "aws", "github"])
    if choice == 1:
        return "".join(f"%{rng.randrange(256):02X}" for _ in range(rng.randrange(1, 12)))
    if choice == 2:
        return rng.choice(["..", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%00", "%2F", ".", "~"])
    if choice == 3:
        return "a" * rng.choice([200, 2_000, 6_000])
    if choice == 4:
        return str(rng.choice([-1, 0, 1, 10**30, 2**63, -(2**63)]))
    if choice == 5:
        return rng.choice(["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-13-45", "nan", "inf"])
    if choice == 6:
        return quote("".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 8))))
    if choice == 7:
        return quote(rng.choice(["<script>alert(1)</script>", "' OR 1=1 --", "${jndi:x}", "{{7*7}}"]))
    return ""


def undocumented_templates(client: TestClient[Any, Any], documented: set[str]) -> list[str]:
    templates = []
    for resource in client.app.router.resources():
        template = resource.canonical
        if template in documented or "unmatched_path" in template:
            continue
        if any(route.method == "GET" for route in resource):
            templates.append(template)
    return sorted(templates)


def fuzzed_path(template: str, rng: random.Random) -> str:
    path = SEGMENT.sub(lambda _: junk(rng) or "x", template)
    pairs = [f"{rng.choice(QUERY_KEYS)}={junk(rng)}" for _ in range(rng.randrange(4))]
    return path + ("?" + "&".join(pairs) if pairs else "")


async def test_no_undocumented_get_route_fails_on_junk(client: TestClient[Any, Any],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    spec = orjson.loads(await (await client.get("/openapi.json")).read())
    templates = undocumented_templates(client, set(spec["paths"]))
    assert {"/s/{slug}", "/embed/{slug}", "/dashboard/data/now"} <= set(templates)
    rng = random.Random(SEED)
    answered: dict[int, int] = {}
    for template in templates:
        for _ in range(CASES_PER_ROUTE):
            path = fuzzed_path(template, rng)
            status, headers, body = await exchange(client, request("GET", path))
            answered[status] = answered.get(status, 0) + 1
            assert status < 500, (path, status, body[:300])
            if status >= 400 and not path.startswith(PAGE_PREFIXES):
                assert headers["content-type"].startswith("application/problem+json"), (path, body[:300])
                assert orjson.loads(body)["status"] == status
    assert_no_traceback(caplog)
    assert any(400 <= status < 500 for status in answered), answered
    assert any(status < 300 for status in answered), answered
