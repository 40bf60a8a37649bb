"""Connecting to NATS and declaring what downwatch keeps there (idempotent: every role does it).

The client reconnects forever in the background; while it is away, publishes wait at most their
timeout and fail, so callers answer 503 instead of hanging. ``BusHealth`` remembers the state for
``/healthz`` and ``/metrics`` without asking the server.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError
from nats.js.kv import KeyValue

from downwatch.config import Settings
from downwatch.errors import ConfigError
from downwatch.runtime.bus.names import CATALOG_BUCKET, CLAIMS_BUCKET, STREAM, SUBJECT_PREFIX, VERDICTS_BUCKET

log = logging.getLogger(__name__)

STREAM_MAX_AGE_SECONDS = 7 * 86400.0
FIRST_CONNECT_SECONDS = 10.0
CLAIMS_TTL_WINDOWS = 2
"""Report claims live this many report windows (``downwatch.runtime.bus.claims``)."""


@dataclass(slots=True)
class BusHealth:
    connected: bool = False
    disconnects: int = 0
    reconnects: int = 0
    last_error: str | None = None
    changed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def check(self) -> tuple[bool, dict[str, Any]]:
        details: dict[str, Any] = {"state": "connected" if self.connected else "disconnected",
                                   "since": self.changed_at.isoformat(), "reconnects": self.reconnects}
        if self.last_error and not self.connected:
            details["last_error"] = self.last_error
        return self.connected, details

    def metrics(self) -> dict[tuple[str, ...], float]:
        return {("up",): float(self.connected), ("disconnects",): float(self.disconnects),
                ("reconnects",): float(self.reconnects)}


@dataclass(slots=True)
class Bus:
    """A connection with its JetStream context and the settings it was declared with."""

    nc: Client
    js: JetStreamContext
    settings: Settings
    health: BusHealth

    async def verdicts(self) -> KeyValue:
        return await self.js.key_value(VERDICTS_BUCKET)

    async def catalog(self) -> KeyValue:
        return await self.js.key_value(CATALOG_BUCKET)

    async def close(self) -> None:
        if not self.nc.is_closed:
            await self.nc.close()


def stream_config(settings: Settings) -> StreamConfig:
    """The SIGNALS stream: every partition's subject, de-duplicated over the report window."""
    return StreamConfig(name=STREAM, subjects=[f"{SUBJECT_PREFIX}.*"], retention=RetentionPolicy.LIMITS,
                        storage=StorageType.FILE, num_replicas=settings.nats_replicas,
                        max_age=STREAM_MAX_AGE_SECONDS, discard=DiscardPolicy.OLD,
                        duplicate_window=float(settings.report_window_seconds))


async def connect(settings: Settings, *, name: str = "downwatch") -> Bus:
    """Connect (the first connection must succeed; later losses are reconnected in the background)."""
    if not settings.nats_url:
        raise ConfigError("NATS_URL is not set; roles other than `all` need a NATS server with JetStream")
    health = BusHealth()

    async def on_error(exc: Exception) -> None:
        text = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        if text != health.last_error:
            log.warning("NATS (%s): %s", name, text)
        health.last_error = text

    async def on_disconnect() -> None:
        if health.connected:
            log.warning("NATS (%s): disconnected; reconnecting in the background", name)
            health.disconnects += 1
        health.connected, health.changed_at = False, datetime.now(UTC)

    async def on_reconnect() -> None:
        log.warning("NATS (%s): reconnected", name)
        health.connected, health.changed_at = True, datetime.now(UTC)
        health.reconnects += 1

    servers = [part.strip() for part in settings.nats_url.split(",") if part.strip()]
    try:  # the first connection within a bound (the client itself would retry it forever)
        nc = await asyncio.wait_for(
            nats.connect(servers=servers, name=name, connect_timeout=2, reconnect_time_wait=0.5,
                         max_reconnect_attempts=-1, error_cb=on_error, disconnected_cb=on_disconnect,
                         reconnected_cb=on_reconnect, allow_reconnect=True),
            FIRST_CONNECT_SECONDS)
    except Exception as exc:
        raise ConfigError(f"cannot connect to NATS at {', '.join(servers)}: {type(exc).__name__}; "
                          "check NATS_URL and that nats-server runs with -js") from exc
    health.connected, health.changed_at = True, datetime.now(UTC)
    js = nc.jetstream(timeout=max(2.0, settings.nats_ack_timeout_seconds))
    bus = Bus(nc, js, settings, health)
    try:
        await declare(bus)
    except Exception:
        await bus.close()
        raise
    return bus


async def declare(bus: Bus) -> None:
    """Create (or bring up to date) the stream and the buckets."""
    config = stream_config(bus.settings)
    try:
        await bus.js.stream_info(STREAM)
    except NotFoundError:
        await bus.js.add_stream(config)
    else:
        try:
            await bus.js.update_stream(config)
        except BadRequestError as exc:  # e.g. replicas cannot change on this server: keep what exists
            log.warning("NATS: stream %s kept as it is (%s)", STREAM, exc.description)
    claims_ttl = float(CLAIMS_TTL_WINDOWS * bus.settings.report_window_seconds)
    for bucket, ttl in ((VERDICTS_BUCKET, None), (CATALOG_BUCKET, None), (CLAIMS_BUCKET, claims_ttl)):
        try:
            await bus.js.key_value(bucket)
        except (NotFoundError, nats.js.errors.BucketNotFoundError):
            await bus.js.create_key_value(bucket=bucket, history=1, replicas=bus.settings.nats_replicas,
                                          storage=StorageType.FILE, ttl=ttl)
