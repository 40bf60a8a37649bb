"""Role processes (``python -m downwatch serve --role ROLE``) as children a test can ``kill -9``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from downwatch.config import Settings

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE_SETTINGS = ("DATABASE_URL", "NATS_URL", "DOWNWATCH_", "praw_")


def role_environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(OUTSIDE_SETTINGS)}
    assert settings.database_url and settings.nats_url and settings.hash_key
    env.update({"DATABASE_URL": settings.database_url, "NATS_URL": settings.nats_url,
                "DOWNWATCH_HASH_KEY": settings.hash_key,
                "DOWNWATCH_BUCKET_SECONDS": str(settings.bucket_seconds),
                "DOWNWATCH_TICK_SECONDS": str(settings.tick_seconds),
                "DOWNWATCH_NATS_PARTITIONS": str(settings.nats_partitions),
                "DOWNWATCH_TRUSTED_PROXIES": ",".join(settings.trusted_proxies),
                "DOWNWATCH_LOG_LEVEL": "INFO", **extra})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RoleProcess:
    def __init__(self, role: str, env: dict[str, str], port: int = 0) -> None:
        self.role, self.port = role, port
        self.log = Path(tempfile.mkstemp(prefix=f"downwatch-{role}-", suffix=".log")[1])
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "downwatch", "serve", "--role", role, "--port", str(port)],
                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    def kill9(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.log.unlink(missing_ok=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


async def wait_until(what: str, probe: Callable[[], Awaitable[Any]], attempts: int = 300) -> Any:
    """Poll ``probe`` every 0.1 s until it returns something truthy; fail naming ``what``."""
    last = None
    for _ in range(attempts):
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"never saw {what}; last: {last!r}")
