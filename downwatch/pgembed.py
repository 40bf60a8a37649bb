"""An embedded PostgreSQL for `downwatch demo` and the tests, when no DATABASE_URL is given.

It runs the machine's own PostgreSQL binaries (``initdb``/``pg_ctl`` found through ``pg_config``,
Debian's ``/usr/lib/postgresql/*/bin`` or ``PATH``) in a private data directory on a free local port.
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` system user (via
``runuser``) in a directory that user owns. Without binaries it falls back to the ``pgserver`` wheel
(``pip install 'downwatch[embedded]'``) when that is installed.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from downwatch.errors import StoreUnavailable

NO_SERVER_HELP = ("no PostgreSQL server binaries found: install PostgreSQL (apt-get install postgresql), "
                  "or pip install 'downwatch[embedded]', or set DATABASE_URL to a running server")


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    candidates: list[Path] = []
    if env_dir := os.environ.get("DOWNWATCH_PG_BINDIR"):
        candidates.append(Path(env_dir))
    if pg_config := shutil.which("pg_config"):
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            if out.returncode == 0:
                candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                    key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0, reverse=True)
    candidates.extend(Path(p) for p in debian)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    candidates.extend(Path(p) for p in ("/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"))
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def default_data_dir() -> Path:
    """Under the user's cache directory; as root, /var/cache (PostgreSQL runs as 'postgres' then)."""
    if _running_as_root():
        return Path("/var/cache/downwatch/postgres")
    import platformdirs

    return Path(platformdirs.user_cache_dir("downwatch")) / "postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class EmbeddedPostgres:
    """A private PostgreSQL server: ``start()`` returns a DSN, ``stop()`` shuts it down.

    An existing data directory is reused; a server left running by a killed process is adopted.
    """

    data_dir: Path
    port: int = 0
    _bindir: Path | None = field(default=None, init=False)
    _pgserver: object | None = field(default=None, init=False)
    _started_here: bool = field(default=False, init=False)
    dsn: str = field(default="", init=False)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if _running_as_root():
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            message = (result.stderr or result.stdout).strip().splitlines()
            raise StoreUnavailable(f"embedded PostgreSQL: {Path(args[0]).name} failed: "
                                   f"{message[-1] if message else 'exit ' + str(result.returncode)}")
        return result

    def _prepare_directory(self) -> None:
        """The data directory ready for initdb. As root, the server runs as ``postgres``: the data
        directory is handed to it when it is new or empty, and nothing above it changes owner."""
        if not _running_as_root():
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            return
        try:
            postgres = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise StoreUnavailable(
                "embedded PostgreSQL cannot run as root without a 'postgres' system user; "
                "create one (apt-get install postgresql does) or set DATABASE_URL") from exc
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        for parent in self.data_dir.parents:
            if not parent.stat().st_mode & 0o001:
                raise StoreUnavailable(f"embedded PostgreSQL: {parent} is not searchable by the postgres "
                                       "user; set DOWNWATCH_DATA_DIR to a directory outside it")
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.data_dir.stat().st_uid != postgres.pw_uid and not any(self.data_dir.iterdir()):
            os.chown(self.data_dir, postgres.pw_uid, postgres.pw_gid)

    def _live_port(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        assert self._bindir is not None
        status = self._run(str(self._bindir / "pg_ctl"), "status", "-D", str(self.data_dir), check=False)
        if status.returncode != 0:
            return None
        lines = pid_file.read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else None

    def start(self) -> str:
        self._bindir = find_bindir()
        if self._bindir is None:
            return self._start_pgserver()
        self._prepare_directory()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(str(self._bindir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                      "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        live = self._live_port()
        if live is not None:
            self.port = live
        else:
            self.port = self.port or free_port()
            log = self.data_dir / "server.log"
            self._run(str(self._bindir / "pg_ctl"), "start", "-D", str(self.data_dir), "-w", "-t", "60",
                      "-l", str(log), "-o",
                      f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 "
                      "-c fsync=off -c synchronous_commit=on -c full_page_writes=off "
                      "-c max_connections=200")
            self._started_here = True
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        return self.dsn

    def _start_pgserver(self) -> str:
        try:
            import pgserver
        except ImportError as exc:
            raise StoreUnavailable(NO_SERVER_HELP) from exc
        self.data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(str(self.data_dir), cleanup_mode="stop")
        self._pgserver = server
        self._started_here = True
        self.dsn = str(server.get_uri())
        return self.dsn

    def stop(self) -> None:
        if not self._started_here:
            return
        if self._pgserver is not None:
            cleanup = getattr(self._pgserver, "cleanup", None)
            if callable(cleanup):
                cleanup()
        elif self._bindir is not None:
            self._run(str(self._bindir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast",
                      "-w", check=False)
        self._started_here = False

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
