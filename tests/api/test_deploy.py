"""The multi-process deployment: board followers read verdicts from the store; nginx accepts the
rendered configuration and serves through its micro-cache with the API's headers."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from api.deploy.nginx_config import render
from api.follower import follow_store, refresh_from_store
from downwatch.store.detector_output import TickOutput, write_tick
from tests.api.conftest import AppFactory, board_of

VERDICT = {"status": "down", "since": "2025-02-04T08:12:00Z", "confidence": 0.8,
           "updated_at": "2025-02-04T08:40:05Z", "explanation": "from the leader process"}


async def test_a_follower_publishes_the_verdicts_the_leader_stored(client: TestClient[Any, Any],
                                                                   pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await write_tick(conn, TickOutput(verdicts={"airbnb": VERDICT}))
    changed = await refresh_from_store(client.app)
    assert changed >= 1
    body = await (await client.get("/v1/services/airbnb")).json()
    assert body["status"] == "down" and body["explanation"] == "from the leader process"
    assert await refresh_from_store(client.app) == 0, "nothing new: the board keeps its answers"


async def test_follow_store_runs_in_the_background(make_client: AppFactory, pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await write_tick(conn, TickOutput(verdicts={"airbnb": VERDICT}))
    client = await make_client(background=[follow_store(interval_seconds=0.05)])
    for _ in range(100):
        if board_of(client).verdict("airbnb")["status"] == "down":
            break
        await asyncio.sleep(0.05)
    assert board_of(client).verdict("airbnb")["status"] == "down"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """nginx workers run as an unprivileged user: pytest's private tmp_path is out of their reach."""
    path = Path(tempfile.mkdtemp(prefix="downwatch-nginx-test-"))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def test_nginx_serves_through_its_micro_cache(client: TestClient[Any, Any],
                                                    world_readable_dir: Path) -> None:
    assert shutil.which("nginx"), "nginx is part of the deployment and of CI (apt-get install -y nginx)"
    tmp_path = world_readable_dir
    prefix = tmp_path / "front"
    (prefix / "cache").mkdir(parents=True)
    for folder in (prefix, prefix / "cache"):
        os.chmod(folder, 0o777)
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render(listen=f"127.0.0.1:{port}", upstreams=[f"127.0.0.1:{client.port}"],
                           prefix=prefix, workers="1", daemon=False))
    check = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(prefix)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr
    board_of(client).publish({"bt": VERDICT}, datetime.now(UTC))
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(prefix)], start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/v1/services/bt"
        statuses: list[str | None] = []
        body: dict[str, Any] = {}
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(url) as response:
                        statuses.append(response.headers.get("X-Cache"))
                        body = await response.json()
                        if response.headers.get("X-Cache") == "HIT":
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            assert "HIT" in statuses, statuses
            assert body["explanation"] == "from the leader process"
            async with session.post(f"http://127.0.0.1:{port}/v1/reports",
                                    json={"service": "bt", "problem": "login"}) as report:
                assert report.status == 202 and report.headers.get("X-Cache") is None
    finally:
        nginx.terminate()
        nginx.wait(10)
