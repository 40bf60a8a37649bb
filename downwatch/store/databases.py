"""Creating and dropping whole databases (for tests, the demo and `downwatch db`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from downwatch.errors import ConfigError
from downwatch.store.migrate import upgrade
from downwatch.store.pool import connect

DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def with_database(dsn: str, name: str) -> str:
    """The same server DSN pointing at database ``name``."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


def _checked(name: str) -> str:
    # CREATE/DROP DATABASE cannot take parameters; the name is checked against a strict pattern.
    if not DATABASE_NAME.match(name):
        raise ConfigError(f"invalid database name {name!r}: use lowercase letters, digits and _")
    return name


async def create_database(admin_dsn: str, name: str, *, replace: bool = False) -> str:
    conn = await connect(admin_dsn)
    try:
        if replace:
            await conn.execute(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{_checked(name)}"')
    finally:
        await conn.close()
    return with_database(admin_dsn, name)


async def drop_database(admin_dsn: str, name: str) -> None:
    conn = await connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')
    finally:
        await conn.close()


async def create_migrated_database(admin_dsn: str, name: str) -> str:
    """A new (or replaced) database ``name`` with downwatch's schema applied; returns its DSN."""
    dsn = await create_database(admin_dsn, name, replace=True)
    conn = await connect(dsn)
    try:
        await upgrade(conn)
    finally:
        await conn.close()
    return dsn
