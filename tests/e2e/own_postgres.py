"""A PostgreSQL server of the test's own, which the test may stop, freeze and restart.

The shared server other tests (and other people) use must never be frozen; these tests start a
throw-away server with ``downwatch.pgembed.EmbeddedPostgres`` in a temporary directory instead.
``freeze()`` sends SIGSTOP to the postmaster and every backend (a hung database: connections are
accepted by the kernel, then nothing answers); ``thaw()`` sends SIGCONT; ``restart()`` stops it
the way a crash or an operator would and starts it again on the same port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path
from types import TracebackType

from downwatch.pgembed import EmbeddedPostgres
from downwatch.store.databases import with_database


class OwnPostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="downwatch-own-pg-"))
        os.chmod(self.root, 0o755)
        self.server = EmbeddedPostgres(self.root / "pg" / "data")
        self.admin_dsn = ""
        self.frozen: list[int] = []

    def start(self) -> str:
        self.admin_dsn = self.server.start()
        return self.admin_dsn

    def dsn(self, database: str) -> str:
        return with_database(self.admin_dsn, database)

    def _pg_ctl(self, *args: str) -> None:
        assert self.server._bindir is not None
        self.server._run(str(self.server._bindir / "pg_ctl"), *args, "-D", str(self.server.data_dir))

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as after a crash, without a checkpoint)."""
        self._pg_ctl("stop", "-m", mode, "-w")

    def start_again(self) -> None:
        log = self.server.data_dir / "server.log"
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(log), "-o",
                     f"-p {self.server.port} -k {self.server.data_dir} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off -c max_connections=200")

    def restart(self, mode: str = "immediate") -> None:
        self.stop(mode)
        self.start_again()

    def processes(self) -> list[int]:
        """The postmaster and its children (backends and auxiliary processes)."""
        lines = (self.server.data_dir / "postmaster.pid").read_text().splitlines()
        postmaster = int(lines[0])
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(entry.name))
        return [postmaster, *children]

    def freeze(self) -> None:
        self.frozen = self.processes()
        for pid in self.frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = []

    def close(self) -> None:
        self.thaw()
        try:
            self.server.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> OwnPostgres:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
