"""Connection pools: one per process, opened at start and closed at stop."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import asyncpg
import orjson

from downwatch.errors import StoreUnavailable
from downwatch.store.guard import GuardedPool, StoreBreaker, quiet_pool_logs

CONNECT_TIMEOUT_SECONDS = 10.0
WORK_TIMEOUT_SECONDS = 60.0
"""The bound on one statement of background work (migrations, detector ticks, retention)."""

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
    await conn.set_type_codec("jsonb", encoder=_jsonb_text, decoder=orjson.loads, schema="pg_catalog")


def _jsonb_text(value: Any) -> str:
    """orjson rather than json: a detector tick writes every service's verdict as jsonb."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()


SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
REDACTED = "***"


def _secrets_of(dsn: str) -> list[str]:
    parts = urlsplit(dsn)
    found = [parts.password] if parts.password else []
    found += [value for key, value in parse_qsl(parts.query, keep_blank_values=True)
              if key.lower() in SECRET_PARAMETERS and value]
    return found


def describe_dsn(dsn: str) -> str:
    """The DSN without its password (in the authority or as ``?password=``), safe to print."""
    try:
        parts = urlsplit(dsn)
        netloc = parts.netloc
        if parts.password:
            userinfo, _, hostport = netloc.rpartition("@")
            netloc = f"{userinfo.partition(':')[0]}:{REDACTED}@{hostport}"
        query = "&".join(
            f"{quote(key)}={REDACTED if key.lower() in SECRET_PARAMETERS else quote(value)}"
            for key, value in parse_qsl(parts.query, keep_blank_values=True))
        return urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:
        return "<unparseable DSN>"


def redact(text: str, dsn: str) -> str:
    """``text`` (an error message) with every secret of ``dsn`` replaced."""
    try:
        secrets = _secrets_of(dsn)
    except ValueError:
        return "<an error about an unparseable DSN>" if dsn and dsn in text else text
    for secret in sorted(set(secrets) | {quote(s) for s in secrets}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _unreachable(dsn: str, exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"cannot connect to PostgreSQL at {describe_dsn(dsn)}: {redact(str(exc), dsn)}; "
                            "check DATABASE_URL and that the server is running")


async def connect(dsn: str, **kwargs: Any) -> asyncpg.Connection:
    """One connection, with a clear error when the server cannot be reached."""
    try:
        conn: asyncpg.Connection = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_SECONDS, **kwargs)
    except CONNECT_ERRORS as exc:
        raise _unreachable(dsn, exc) from exc
    await _init_connection(conn)
    return conn


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10,
                      command_timeout: float = WORK_TIMEOUT_SECONDS,
                      breaker: StoreBreaker | None = None) -> asyncpg.Pool:
    """Open a pool whose connections decode jsonb to Python objects, guarded by a circuit breaker
    (``downwatch.store.guard``); connections are acquired within ``command_timeout`` too."""
    quiet_pool_logs()
    pool = GuardedPool(dsn, min_size=min_size, max_size=max_size, max_queries=50_000,
                       max_inactive_connection_lifetime=300.0, loop=None, connection_class=asyncpg.Connection,
                       record_class=asyncpg.Record, init=_init_connection, timeout=CONNECT_TIMEOUT_SECONDS,
                       command_timeout=command_timeout)
    pool.breaker = breaker or StoreBreaker()
    pool.acquire_timeout = command_timeout
    try:
        await pool
    except CONNECT_ERRORS as exc:
        raise _unreachable(dsn, exc) from exc
    return pool
