"""`downwatch serve` refuses a bad setup with one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.e2e.serve_process import child_environment, run_downwatch

HASH_KEY = "e2e-refusals-hash-key-0123456789abcdef"
UNREACHABLE = "postgresql://postgres:hunter2@127.0.0.1:1/x"


def assert_refused(args: list[str], env: dict[str, str], *expected: str) -> str:
    done = run_downwatch(["serve", *args], env)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert done.returncode == 2, done.stderr
    assert lines[0].startswith("downwatch serve: error: "), lines[0]
    for fragment in expected:
        assert fragment in lines[0], lines[0]
    assert done.stdout == ""
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_no_database_url() -> None:
    assert_refused(["--port", "0"], child_environment(DOWNWATCH_HASH_KEY=HASH_KEY), "DATABASE_URL is not set")


def test_no_hash_key(fresh_database_url: str) -> None:
    assert_refused(["--port", "0"], child_environment(DATABASE_URL=fresh_database_url), "DOWNWATCH_HASH_KEY")


def test_unreachable_database_without_showing_its_password() -> None:
    env = child_environment(DATABASE_URL=UNREACHABLE, DOWNWATCH_HASH_KEY=HASH_KEY)
    line = assert_refused(["--port", "0"], env, "cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:1/x")
    assert "hunter2" not in line


@pytest.mark.parametrize("url", ["mysql://root@127.0.0.1/downwatch", "127.0.0.1:5432/downwatch",
                                 "postgresql://postgres@[::1/x", "postgresql://postgres@127.0.0.1:99999/x"])
def test_a_database_url_that_is_not_postgresql(url: str) -> None:
    assert_refused(["--port", "0"], child_environment(DATABASE_URL=url, DOWNWATCH_HASH_KEY=HASH_KEY),
                   "DATABASE_URL")


def test_broken_catalog_override(fresh_database_url: str, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[[service]]\nslug = "acme"\nname = \n')
    env = child_environment(DATABASE_URL=fresh_database_url, DOWNWATCH_HASH_KEY=HASH_KEY,
                            DOWNWATCH_CATALOG_PATH=str(catalog))
    assert_refused(["--port", "0"], env, str(catalog), "not valid TOML")


def test_unknown_source_type(fresh_database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "serve.toml"
    config.write_text('[sources.twitter]\naccounts = ["BTCare"]\n')
    env = child_environment(DATABASE_URL=fresh_database_url, DOWNWATCH_HASH_KEY=HASH_KEY)
    assert_refused(["--config", str(config), "--port", "0"], env, "[sources.twitter]", "unknown source type")


def test_missing_config_file(fresh_database_url: str, tmp_path: Path) -> None:
    env = child_environment(DATABASE_URL=fresh_database_url, DOWNWATCH_HASH_KEY=HASH_KEY)
    assert_refused(["--config", str(tmp_path / "nope.toml"), "--port", "0"], env, "nope.toml not found")


def test_port_already_taken(fresh_database_url: str, busy_port: int) -> None:
    env = child_environment(DATABASE_URL=fresh_database_url, DOWNWATCH_HASH_KEY=HASH_KEY)
    assert_refused(["--no-sources", "--port", str(busy_port)], env, f"cannot listen on 127.0.0.1:{busy_port}")


async def _squat_on_the_schema(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE FUNCTION downwatch_drop_signal_partition(day date) RETURNS boolean "
                           "LANGUAGE sql AS 'SELECT false'")
    finally:
        await conn.close()


def test_a_database_that_cannot_be_migrated(empty_database_url: str) -> None:
    asyncio.run(_squat_on_the_schema(empty_database_url))
    env = child_environment(DATABASE_URL=empty_database_url, DOWNWATCH_HASH_KEY=HASH_KEY)
    assert_refused(["--no-sources", "--port", "0"], env, "failed while starting",
                   "downwatch_drop_signal_partition")
