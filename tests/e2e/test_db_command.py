"""`downwatch db upgrade|status|retention` as a real process against a real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from downwatch.records import Kind, Problem, Signal
from downwatch.store.migrate import available_migrations
from downwatch.store.pool import connect
from downwatch.store.signals import insert_signals
from tests.e2e.serve_process import child_environment, run_downwatch

RETENTION_DAYS = 90


def db(action: str, dsn: str, **settings: str) -> str:
    done = run_downwatch(["db", action], child_environment(DATABASE_URL=dsn, **settings))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def migration_names() -> list[str]:
    return [f"{m.version:04d}_{m.name}" for m in available_migrations()]


def signal_at(observed_at: datetime, external_id: str) -> Signal:
    return Signal(service="bt", kind=Kind.POST, problem=Problem.LOGIN, observed_at=observed_at,
                  source="reddit", external_id=external_id)


async def _seed(dsn: str, signals: list[Signal]) -> None:
    conn = await connect(dsn)
    try:
        await insert_signals(conn, signals)
    finally:
        await conn.close()


async def _kept(dsn: str) -> tuple[list[str], list[str], list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        signals = [r[0] for r in await conn.fetch("SELECT external_id FROM signals ORDER BY 1")]
        keys = [r[0] for r in await conn.fetch("SELECT external_id FROM signal_keys ORDER BY 1")]
        partitions = [r[0] for r in await conn.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'signals' ORDER BY 1")]
        return signals, keys, partitions
    finally:
        await conn.close()


def test_upgrade_status_and_retention_on_a_new_database(empty_database_url: str) -> None:
    names = migration_names()
    assert db("status", empty_database_url).splitlines() == [f"{name}\tpending" for name in names]
    assert db("upgrade", empty_database_url).strip().endswith(f": applied {', '.join(names)}")
    assert db("status", empty_database_url).splitlines() == [f"{name}\tapplied" for name in names]
    assert db("upgrade", empty_database_url).strip().endswith(": applied none (already current)")

    now = datetime.now(UTC)
    expired = now - timedelta(days=RETENTION_DAYS + 10)
    asyncio.run(_seed(empty_database_url, [signal_at(expired, "t3_old"), signal_at(now, "t3_new")]))
    before = asyncio.run(_kept(empty_database_url))
    assert before[0] == ["t3_new", "t3_old"] and len(before[2]) == 2

    dropped = db("retention", empty_database_url, DOWNWATCH_RETENTION_DAYS=str(RETENTION_DAYS))
    assert dropped.strip() == f"dropped 1 daily partition(s): {expired.date().isoformat()}"
    signals, keys, partitions = asyncio.run(_kept(empty_database_url))
    assert signals == keys == ["t3_new"]
    assert partitions == [f"signals_{now:%Y%m%d}"]
    again = db("retention", empty_database_url, DOWNWATCH_RETENTION_DAYS=str(RETENTION_DAYS))
    assert again.strip() == "dropped 0 daily partition(s)"


@pytest.mark.parametrize("action", ["upgrade", "status", "retention"])
def test_db_against_an_unreachable_database(action: str) -> None:
    done = run_downwatch(["db", action], child_environment(DATABASE_URL="postgresql://postgres@127.0.0.1:1/x"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("downwatch db: error: cannot connect to PostgreSQL at postgresql://postgres@127.0.0.1:1/x")


def test_db_without_database_url() -> None:
    done = run_downwatch(["db", "upgrade"], child_environment())
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["downwatch db: error: DATABASE_URL is not set; point it at your "
                                        "PostgreSQL server (for example postgresql://user@host:5432/downwatch)"]
