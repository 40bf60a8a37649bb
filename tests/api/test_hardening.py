"""Small hardening: a weak hash key is refused, DSN passwords never reach a message, and links the
API returns come from the configured public URL, never from the request's Host header."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from downwatch.config import Settings, load_settings
from downwatch.errors import ConfigError, StoreUnavailable
from downwatch.store.pool import connect, describe_dsn
from tests.api.conftest import AppFactory


@pytest.mark.parametrize("key", ["k", "x" * 15, "é" * 7])
def test_a_short_hash_key_is_refused(key: str) -> None:
    with pytest.raises(ConfigError, match="at least 16 bytes"):
        load_settings(environ={"DOWNWATCH_HASH_KEY": key})


def test_a_16_byte_hash_key_is_accepted() -> None:
    assert load_settings(environ={"DOWNWATCH_HASH_KEY": "é" * 8}).hash_key == "é" * 8


@pytest.mark.parametrize("dsn", [
    "postgresql://user:hunter2secret@127.0.0.1:1/db",
    "postgresql://user@127.0.0.1:1/db?password=hunter2secret",
    "postgresql://user@127.0.0.1:1/db?sslmode=disable&password=hunter2secret",
    "postgresql://user@127.0.0.1:1/db?PASSWORD=hunter2secret",
])
async def test_a_dsn_password_never_appears_in_an_error(dsn: str) -> None:
    assert "hunter2secret" not in describe_dsn(dsn)
    with pytest.raises(StoreUnavailable) as caught:
        await connect(dsn)
    assert "hunter2secret" not in caught.value.detail
    assert "127.0.0.1" in caught.value.detail


@pytest.mark.parametrize("path", ["/v1/services/bt/statuspage.json", "/v1/statuspage/bt/api/v2/summary.json"])
async def test_statuspage_links_ignore_the_host_header(make_client: AppFactory, settings: Settings,
                                                       path: str) -> None:
    client = await make_client(replace(settings, public_url="https://downwatch.example/"))
    for host in ("evil.example", "downwatch.example"):
        response = await client.get(path, headers={"Host": host, "X-Forwarded-Host": "evil.example"})
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        assert body["page"]["url"] == "https://downwatch.example/v1/services/bt"


async def test_statuspage_links_default_to_the_listening_address(make_client: AppFactory,
                                                                 settings: Settings) -> None:
    client = await make_client(replace(settings, host="127.0.0.1", port=9123))
    response = await client.get("/v1/services/bt/statuspage.json", headers={"Host": "evil.example"})
    assert (await response.json())["page"]["url"] == "http://127.0.0.1:9123/v1/services/bt"


@pytest.mark.parametrize("url", ["ftp://x", "https://", "https://x/?a=1", "not a url"])
def test_a_bad_public_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="public_url"):
        load_settings(environ={"DOWNWATCH_PUBLIC_URL": url})
