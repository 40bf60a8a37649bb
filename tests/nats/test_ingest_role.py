"""The ingest role under NATS, killed with kill -9 mid-stream and started again: its signals go through
JetStream and the writer, and every post of the stream is stored and counted exactly once."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from downwatch.catalog import load_catalog
from downwatch.config import Settings
from downwatch.runtime.roles.apps import role_app
from tests.fakes.jetstream import FakeJetstream
from tests.fakes.server import serving_in_thread
from tests.ingest.test_runner_restart import HASH_KEY, expected_signals, stream
from tests.nats.processes import RoleProcess, role_environment
from tests.nats.processes import wait_until as poll_until

wait_until = partial(poll_until, attempts=900)


async def test_ingest_role_killed_mid_stream_loses_and_doubles_nothing(nats_settings: Settings,
                                                                       tmp_path: Path) -> None:
    settings = nats_settings.with_overrides(hash_key=HASH_KEY)
    assert settings.database_url
    events = stream()
    expected = expected_signals(events)
    fake = FakeJetstream(events=list(events), pace_seconds=0.004)
    conn = await asyncpg.connect(settings.database_url)
    parents = load_catalog().parents()

    async def stored() -> tuple[list[str], int]:
        async with conn.transaction(isolation="repeatable_read", readonly=True):  # one snapshot
            rows = await conn.fetch("SELECT external_id, service FROM signals WHERE source = 'bluesky'")
            counted = await conn.fetchval("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = 'post'")
            rolled_up = sum(1 for row in rows if row["service"] in parents)  # also counted for the parent
            return [row["external_id"] for row in rows], int(counted) - rolled_up

    with serving_in_thread(fake.app()) as url:
        config = tmp_path / "ingest.toml"
        config.write_text(f'[sources.bluesky]\nurl = "{url.replace("http", "ws")}/subscribe"\n'
                          "batch_seconds = 0.1\nidle_timeout = 3\n")
        env = role_environment(settings, DOWNWATCH_CONFIG=str(config))
        first = RoleProcess("ingest", env)
        second: RoleProcess | None = None
        try:
            async with TestClient(TestServer(role_app(settings, "write"))):
                async def some() -> bool:
                    return len((await stored())[0]) >= 100

                await wait_until("the first signals through the stream", some)
                first.kill9()
                assert len((await stored())[0]) < len(expected), "the stream ended before the kill"
                second = RoleProcess("ingest", env)

                async def everything() -> bool:
                    return len((await stored())[0]) >= len(expected)

                await wait_until("the whole stream", everything)
                await asyncio.sleep(1.0)  # anything extra would arrive now
                ids, counted = await stored()
        finally:
            first.stop()
            if second is not None:
                second.stop()
            await conn.close()
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected and counted == len(expected)
    assert len(fake.connections) >= 2 and fake.connections[1]["cursor"] is not None
