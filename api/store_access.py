"""Reaching the store from a handler: the pool, or a 503 problem when the API runs without one."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from api.keys import POOL
from downwatch.errors import StoreUnavailable


def no_store() -> StoreUnavailable:
    return StoreUnavailable("this API process runs without a store (no database_url); "
                            "the route needs one", headers={"Retry-After": "60"})


def pool_of(request: web.Request) -> asyncpg.Pool:
    pool = request.app.get(POOL)
    if pool is None:
        raise no_store()
    return pool


STORE_ERRORS: tuple[type[BaseException], ...] = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                                                  asyncpg.InternalClientError)
"""What a statement raises when the store failed it or could not be reached (``InternalClientError``:
a connection the server ended while it was idle, see ``downwatch.store.guard.STORE_FAILURES``)."""
UNAVAILABLE: tuple[type[BaseException], ...] = (StoreUnavailable, *STORE_ERRORS)
"""The store errors plus an open circuit (``downwatch.store.guard.CircuitOpen``)."""


def store_failed(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"the store did not answer ({type(exc).__name__}); try again shortly",
                            headers={"Retry-After": "5"})
