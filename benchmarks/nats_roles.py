"""Helpers for the NATS benchmarks: a throw-away database and nats-server, and role processes.

Role processes are ``python -m downwatch serve --role ROLE`` with the settings in the environment,
each in its own session so it can be stopped (or killed) with its children.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from downwatch.runtime.bus.local_server import LocalNats  # noqa: E402
from downwatch.store.databases import create_migrated_database, drop_database, with_database  # noqa: E402

OUTSIDE_SETTINGS = ("DATABASE_URL", "NATS_URL", "DOWNWATCH_", "praw_")
HASH_KEY = "benchmark-hash-key-" + "k" * 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    admin = with_database(server, "postgres")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    dsn = asyncio.run(create_migrated_database(admin, name))
    try:
        yield dsn
    finally:
        asyncio.run(drop_database(admin, name))


@contextmanager
def nats_server() -> Iterator[str]:
    """NATS_URL when set, else a local ``nats-server -js`` in a temporary directory."""
    given = os.environ.get("NATS_URL")
    if given:
        yield given
        return
    with LocalNats() as server:
        try:
            yield server.url
        finally:
            log = server.root / "server.log"
            if log.exists():
                (Path(tempfile.gettempdir()) / "downwatch-nats-bench.log").write_bytes(log.read_bytes())


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def environment(dsn: str, nats_url: str, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(OUTSIDE_SETTINGS)}
    env.update({"DATABASE_URL": dsn, "NATS_URL": nats_url, "DOWNWATCH_HASH_KEY": HASH_KEY,
                "DOWNWATCH_LOG_LEVEL": "WARNING"})
    env.update({f"DOWNWATCH_{key.upper()}": value for key, value in settings.items()})
    return env


class Role:
    def __init__(self, role: str, env: dict[str, str], port: int | None = None) -> None:
        self.role, self.port = role, port or free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "downwatch", "serve", "--role", role, "--port", str(self.port)],
            cwd=ROOT, env=env, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/openapi.json", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"role {self.role} exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"role {self.role} did not answer within {timeout} s")

    def kill9(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()
