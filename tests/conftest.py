"""Shared fixtures: a real PostgreSQL for every test run.

With DATABASE_URL set, the run creates its own database on that server and drops it afterwards.
Without it, the run starts a throw-away embedded PostgreSQL in a temporary directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from downwatch.pgembed import EmbeddedPostgres
from downwatch.store.databases import (
    create_database,
    create_migrated_database,
    drop_database,
    with_database,
)


@pytest.fixture(scope="session")
def postgres_admin_dsn() -> Iterator[str]:
    """A DSN to the server's `postgres` database: DATABASE_URL's server, or a throw-away one."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield with_database(configured, "postgres")
        return
    root = Path(tempfile.mkdtemp(prefix="downwatch-test-pg-"))
    os.chmod(root, 0o755)
    server = EmbeddedPostgres(root / "pg" / "data")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(postgres_admin_dsn: str) -> Iterator[str]:
    """A fresh, migrated database for this test run, dropped at the end."""
    name = f"downwatch_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    dsn = asyncio.run(create_migrated_database(postgres_admin_dsn, name))
    try:
        yield dsn
    finally:
        asyncio.run(drop_database(postgres_admin_dsn, name))


@contextlib.contextmanager
def _throwaway_database(admin_dsn: str, prefix: str, *, migrated: bool) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    create = (create_migrated_database(admin_dsn, name) if migrated
              else create_database(admin_dsn, name, replace=True))
    dsn = asyncio.run(create)
    try:
        yield dsn
    finally:
        asyncio.run(drop_database(admin_dsn, name))


@pytest.fixture
def fresh_database_url(postgres_admin_dsn: str) -> Iterator[str]:
    """A fresh, migrated database for one test, dropped after it."""
    with _throwaway_database(postgres_admin_dsn, "downwatch_t", migrated=True) as dsn:
        yield dsn


@pytest.fixture
def empty_database_url(postgres_admin_dsn: str) -> Iterator[str]:
    """A fresh database with no schema at all, dropped after the test."""
    with _throwaway_database(postgres_admin_dsn, "downwatch_e", migrated=False) as dsn:
        yield dsn
