"""Fixtures for the API tests: the real app on a real socket, a real PostgreSQL, and the served
OpenAPI document to check every answer against."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import jsonschema
import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from api.app import create_app
from api.keys import BOARD
from api.openapi import openapi_document
from api.tuning import ApiTuning
from downwatch.config import Settings
from downwatch.store.pool import create_pool

ADMIN_TOKEN = "test-admin-token-0123456789"

AppFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, hash_key="test-hash-key-0123456789", admin_token=ADMIN_TOKEN,
                    report_rate_per_minute=1000,
                    report_global_rate_per_second=100_000, tick_seconds=5.0,
                    trusted_proxies=("127.0.0.1", "::1"))


@pytest.fixture
async def make_client(aiohttp_client: Any, settings: Settings) -> AppFactory:
    async def make(settings_override: Settings | None = None, **kwargs: Any) -> TestClient[Any, Any]:
        kwargs.setdefault("tuning", ApiTuning(heartbeat_seconds=0.2, stream_lifetime_seconds=30))
        app = create_app(settings_override or settings, **kwargs)
        client: TestClient[Any, Any] = await aiohttp_client(app)
        return client

    return make


@pytest.fixture
async def client(make_client: AppFactory) -> TestClient[Any, Any]:
    return await make_client()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


def board_of(client: TestClient[Any, Any]) -> Any:
    return client.app[BOARD]


def unique_agent() -> dict[str, str]:
    """Headers that make this test a client of its own: a network of its own (an identity is an
    IPv4 /24, named through X-Forwarded-For from the trusted local proxy) and a user agent."""
    return {"User-Agent": f"downwatch-test/{uuid.uuid4().hex}", "X-Forwarded-For": unique_address()}


def unique_address() -> str:
    """An address in a /64 of its own (random in the documentation prefix 2001:db8::/32)."""
    bits = uuid.uuid4().int
    return f"2001:db8:{bits & 0xffff:x}:{(bits >> 16) & 0xffff:x}::{(bits >> 32) & 0xffff:x}"


class Conformance:
    """Checks an answer against the OpenAPI document: a documented status, content type and schema."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def operation(self, method: str, template: str) -> dict[str, Any]:
        op: dict[str, Any] = self.spec["paths"][template][method.lower()]
        return op

    def schema_for(self, method: str, template: str, status: int, content_type: str) -> dict[str, Any] | None:
        responses = self.operation(method, template)["responses"]
        assert str(status) in responses, f"{method} {template} answered undocumented status {status}"
        content = responses[str(status)].get("content")
        if content is None:
            return None
        assert content_type in content, f"{method} {template} {status}: undocumented type {content_type}"
        schema: dict[str, Any] | None = content[content_type].get("schema")
        return schema

    async def check(self, method: str, template: str, response: ClientResponse) -> Any:
        content_type = response.content_type
        schema = self.schema_for(method, template, response.status, content_type)
        if response.status == 304 or schema is None:
            return None
        if content_type.endswith("json"):
            body = await response.json(content_type=None)
            resolver_schema = {**schema, "components": self.spec["components"]}
            jsonschema.validate(body, resolver_schema, cls=jsonschema.Draft202012Validator,
                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            return body
        return await response.text()


@pytest.fixture
async def served_spec(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status == 200
    spec: dict[str, Any] = await response.json()
    assert spec == openapi_document()
    return spec


@pytest.fixture
def conformance(served_spec: dict[str, Any]) -> Conformance:
    return Conformance(served_spec)
