"""A real nats-server with JetStream for every test that needs one (a temporary directory each)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from downwatch.config import Settings, load_settings
from downwatch.runtime.bus.local_server import LocalNats


@pytest.fixture
def nats_server() -> Iterator[LocalNats]:
    with LocalNats() as server:
        yield server


@pytest.fixture
def nats_settings(nats_server: LocalNats, fresh_database_url: str) -> Settings:
    return load_settings(environ={}, database_url=fresh_database_url, nats_url=nats_server.url,
                         hash_key="k" * 32, nats_partitions=4, tick_seconds=0.5,
                         nats_ack_timeout_seconds=0.5, report_rate_per_minute=1000,
                         trusted_proxies=("127.0.0.1", "::1"))


def reporter(agent: str) -> dict[str, str]:
    """Headers of a reporter of its own: an identity is a network, so each agent name is given an
    IPv6 /64 of its own (X-Forwarded-For from the trusted local proxy); the same name, the same one."""
    bits = hashlib.sha256(agent.encode()).digest()
    network = f"2001:db8:{bits[0] << 8 | bits[1]:x}:{bits[2] << 8 | bits[3]:x}"
    return {"User-Agent": agent, "X-Forwarded-For": f"{network}::1"}
