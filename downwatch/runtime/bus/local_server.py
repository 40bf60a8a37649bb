"""A throw-away ``nats-server -js`` in a temporary directory, for tests and benchmarks.

``LocalNats().start()`` returns its URL; ``restart()`` keeps the same port and store directory (so
what JetStream acknowledged survives); ``stop()`` ends it and removes the directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

NATS_SERVER = os.environ.get("NATS_SERVER", "/usr/sbin/nats-server")
READY_POLL_SECONDS = 0.05


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalNats:
    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or shutil.which("nats-server") or NATS_SERVER
        self.root = Path(tempfile.mkdtemp(prefix="downwatch-nats-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> str:
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - the server owns it until it stops
        self.process = subprocess.Popen(
            [self.executable, "-js", "-sd", str(self.root / "js"), "-a", "127.0.0.1", "-p", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_ready()
        return self.url

    def _wait_ready(self) -> None:
        assert self.process is not None
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {(self.root / 'server.log').read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(READY_POLL_SECONDS)

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), keeping its store."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def restart(self) -> str:
        self.kill()
        return self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalNats:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
