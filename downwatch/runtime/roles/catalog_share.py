"""Admin catalog edits shared by every API process under NATS, as the ``catalog`` KV bucket.

An edit is stored in PostgreSQL first (the system of record, which a starting process loads), then
put under its slug in the bucket; every API process watches the bucket and applies what differs
from its own board, so an edit made on one process is answered by all of them within moments,
without a restart. The watch starts with the bucket's current entries, so a process that was away
catches up on what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import nats.errors
import orjson
from aiohttp import web

from api.background import running
from api.keys import BOARD, CATALOG_EDIT_LISTENERS
from downwatch.records import Service
from downwatch.runtime.bus.connection import Bus
from downwatch.runtime.wiring import CleanupContext

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
POLL_SECONDS = 0.5
TUPLE_FIELDS = ("aliases", "domains", "handles")


def encode_service(service: Service) -> bytes:
    return orjson.dumps(dataclasses.asdict(service))


def decode_service(value: bytes) -> Service:
    """The entry ``encode_service`` wrote; ``ValueError`` for anything else."""
    try:
        fields: Any = orjson.loads(value)
        for name in TUPLE_FIELDS:
            fields[name] = tuple(fields.get(name) or ())
        return Service(**fields)
    except (orjson.JSONDecodeError, TypeError, AttributeError, KeyError) as exc:
        raise ValueError(f"not a catalog entry: {type(exc).__name__}") from exc


class CatalogShare:
    def __init__(self, bus: Bus, app: web.Application) -> None:
        self._bus = bus
        self._app = app
        self.applied = 0
        self.malformed = 0

    async def put(self, service: Service) -> None:
        kv = await self._bus.catalog()
        await kv.put(service.slug, encode_service(service))

    def apply(self, value: bytes) -> None:
        try:
            service = decode_service(value)
        except ValueError:
            self.malformed += 1
            return
        board = self._app[BOARD]
        if board.service(service.slug) != service:
            board.put_service(service, datetime.now(UTC))
            self.applied += 1

    async def watch(self) -> None:
        while True:
            watcher = None
            try:
                watcher = await (await self._bus.catalog()).watchall()
                reconnects = self._bus.health.reconnects
                while self._bus.health.reconnects == reconnects:
                    try:
                        entry = await watcher.updates(timeout=POLL_SECONDS)
                    except nats.errors.TimeoutError:
                        continue
                    if entry is not None and getattr(entry, "value", None):
                        self.apply(entry.value)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS away: watch again once it is back
                log.debug("catalog watch: %s", type(exc).__name__)
            finally:
                if watcher is not None:
                    with contextlib.suppress(Exception):
                        await watcher.stop()
            await asyncio.sleep(RETRY_SECONDS)


def catalog_share_context() -> CleanupContext:
    async def context(app: web.Application) -> AsyncIterator[None]:
        from downwatch.runtime.roles.bus_context import BUS

        share = CatalogShare(app[BUS], app)
        app[CATALOG_EDIT_LISTENERS].append(share.put)
        async with running(share.watch(), "catalog-share"):
            yield

    return context
