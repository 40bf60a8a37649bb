"""Connection pools: one per process, opened at start and closed at stop."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from downwatch.errors import StoreUnavailable

CONNECT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidPasswordError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ClientCannotConnectError,
    asyncpg.ClientConfigurationError,
    ValueError,
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


def describe_dsn(dsn: str) -> str:
    """The DSN without its password, safe to print."""
    try:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(dsn)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparseable DSN>"
    return dsn


async def connect(dsn: str, **kwargs: Any) -> asyncpg.Connection:
    """One connection, with a clear error when the server cannot be reached."""
    try:
        conn: asyncpg.Connection = await asyncpg.connect(dsn, timeout=10, **kwargs)
    except CONNECT_ERRORS as exc:
        raise StoreUnavailable(f"cannot connect to PostgreSQL at {describe_dsn(dsn)}: {exc}; "
                               "check DATABASE_URL and that the server is running") from exc
    await _init_connection(conn)
    return conn


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool whose connections decode jsonb to Python objects."""
    try:
        pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, timeout=10,
                                         init=_init_connection, command_timeout=60)
    except CONNECT_ERRORS as exc:
        raise StoreUnavailable(f"cannot connect to PostgreSQL at {describe_dsn(dsn)}: {exc}; "
                               "check DATABASE_URL and that the server is running") from exc
    assert pool is not None
    return pool
