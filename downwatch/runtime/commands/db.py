"""`downwatch db upgrade|status|retention`: manage the store behind DATABASE_URL."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from downwatch.config import load_settings
from downwatch.errors import ConfigError
from downwatch.store.migrate import applied_versions, available_migrations, upgrade
from downwatch.store.pool import connect, describe_dsn
from downwatch.store.retention import apply_retention


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "db", help="manage the PostgreSQL store (migrations, retention)",
        description="Manage the PostgreSQL store named by DATABASE_URL.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    actions.add_parser("upgrade", help="apply pending migrations")
    actions.add_parser("status", help="list applied and pending migrations")
    actions.add_parser("retention", help="drop signals older than retention_days")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    if not settings.database_url:
        raise ConfigError("DATABASE_URL is not set; point it at your PostgreSQL server "
                          "(for example postgresql://user@host:5432/downwatch)")
    return asyncio.run(_run(args.action, settings.database_url, settings.retention_days))


async def _run(action: str, dsn: str, retention_days: int) -> int:
    conn = await connect(dsn)
    try:
        if action == "upgrade":
            applied = await upgrade(conn)
            names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "none (already current)"
            print(f"{describe_dsn(dsn)}: applied {names}")
        elif action == "status":
            done = await applied_versions(conn)
            for migration in available_migrations():
                state = "applied" if migration.version in done else "pending"
                print(f"{migration.version:04d}_{migration.name}\t{state}")
        else:
            pending = {m.version for m in available_migrations()} - await applied_versions(conn)
            if pending:
                raise ConfigError(f"{describe_dsn(dsn)} is not migrated to the current schema; "
                                  "run `downwatch db upgrade` first")
            dropped = await apply_retention(conn, datetime.now(UTC), retention_days)
            print(f"dropped {len(dropped)} daily partition(s)"
                  + (f": {', '.join(d.isoformat() for d in dropped)}" if dropped else ""))
    finally:
        await conn.close()
    return 0
