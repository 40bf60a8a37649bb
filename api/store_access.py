"""Reaching the store from a handler: the pool, or a 503 problem when the API runs without one."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from api.keys import POOL
from downwatch.errors import StoreUnavailable
from downwatch.store.guard import STORE_ERRORS as STORE_ERRORS
from downwatch.store.guard import STORE_UNAVAILABLE


def no_store() -> StoreUnavailable:
    return StoreUnavailable("this API process runs without a store (no database_url); "
                            "the route needs one", headers={"Retry-After": "60"})


def pool_of(request: web.Request) -> asyncpg.Pool:
    pool = request.app.get(POOL)
    if pool is None:
        raise no_store()
    return pool


UNAVAILABLE = STORE_UNAVAILABLE
"""What a handler catches around the store (``downwatch.store.guard``): its errors and an open circuit."""


def store_failed(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"the store did not answer ({type(exc).__name__}); try again shortly",
                            headers={"Retry-After": "5"})
