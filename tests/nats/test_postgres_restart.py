"""PostgreSQL restarted under an API role and a writer: reports keep being accepted (JetStream holds
them) and once the server is back every acknowledged report is stored and counted exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import Settings
from downwatch.runtime.roles.apps import role_app
from downwatch.store.databases import create_migrated_database
from tests.e2e.own_postgres import OwnPostgres
from tests.nats.conftest import reporter


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    server.start()
    try:
        yield server
    finally:
        server.close()


async def test_postgres_restart_loses_nothing_jetstream_acknowledged(own_postgres: OwnPostgres,
                                                                    nats_settings: Settings) -> None:
    dsn = await create_migrated_database(own_postgres.admin_dsn, "downwatch_pg_restart")
    settings = nats_settings.with_overrides(database_url=dsn)
    api = TestClient(TestServer(role_app(settings, "api")))
    writer = TestClient(TestServer(role_app(settings, "write")))
    accepted: set[str] = set()

    async def report(agent: str) -> None:
        response = await api.post("/v1/reports", json={"service": "bt", "problem": "login"},
                                  headers=reporter(agent))
        assert response.status == 202, await response.text()
        accepted.add((await response.json())["id"])

    async with api, writer:
        await asyncio.gather(*(report(f"before-{i}") for i in range(50)))
        await asyncio.to_thread(own_postgres.stop, "immediate")
        await asyncio.gather(*(report(f"during-{i}") for i in range(50)))
        await asyncio.to_thread(own_postgres.start_again)
        found: tuple[int, int] = (0, 0)
        for _ in range(300):
            try:
                conn = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(0.1)
                continue
            try:
                await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one snapshot
                rows = await conn.fetch("SELECT external_id FROM signals WHERE kind = 'report'")
                ids = {r[0] for r in rows}
                counted = await conn.fetchval("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = 'report'")
            finally:
                await conn.close()
            found = (len(ids), int(counted))
            if ids >= accepted:
                break
            await asyncio.sleep(0.1)
        assert len(accepted) == 100
        assert ids == accepted and found == (100, 100)
