"""The background store watch outlives a connection the server ends while it is idle.

PostgreSQL ends an idle connection (``pg_terminate_backend``, an admin shutdown, ``DROP DATABASE
... WITH (FORCE)``) by sending an ErrorResponse and then closing the socket. asyncpg reads the error
in its idle state, has nowhere to deliver it and leaves the protocol in "error consume"; until the
close arrives, the pool still hands that connection out, and the next statement fails with
``InternalClientError: cannot switch to state 12; another operation (2) is in progress``. That error
was no store error to the watch: the watch task died with it (no more probes, so an open breaker
never closed again and ``/healthz`` went stale) and re-raised it when the app was cleaned up, the
shutdown "another operation is in progress" flake of the API tests. A TCP relay between the pool and
a real PostgreSQL holds the close back, so the window is there every time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from api.keys import POOL
from api.store_watch import StoreWatch
from downwatch.config import Settings
from downwatch.store.pool import create_pool
from tests.api.conftest import AppFactory

SETTLE_SECONDS = 0.3
"""Time for the relayed ErrorResponse to reach asyncpg over loopback before the next statement."""


class CloseHoldingRelay:
    """Relays TCP to PostgreSQL; while ``hold`` is set, a close from the server is passed on to the
    client only when ``release`` is called (the bytes before it are passed on at once)."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.hold = False
        self._released = asyncio.Event()
        self.server_closed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def __aenter__(self) -> CloseHoldingRelay:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def release(self) -> None:
        self._released.set()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self._target)

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, from_server: bool) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            if from_server:
                self.server_closed.set()
                if self.hold:
                    await self._released.wait()
            writer.close()

        tasks = [asyncio.create_task(pump(client_reader, server_writer, False)),
                 asyncio.create_task(pump(server_reader, client_writer, True))]
        self._tasks.update(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)


def through(dsn: str, port: int) -> str:
    parts = urlsplit(dsn)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}"))


@contextlib.asynccontextmanager
async def relayed_pool(database_url: str) -> AsyncIterator[tuple[CloseHoldingRelay, asyncpg.Pool]]:
    parts = urlsplit(database_url)
    async with CloseHoldingRelay(parts.hostname or "127.0.0.1", parts.port or 5432) as relay:
        pool = await create_pool(through(database_url, relay.port), min_size=1, max_size=1,
                                 command_timeout=2.0)
        try:
            yield relay, pool
        finally:
            relay.release()
            pool.terminate()


async def end_idle_connection(database_url: str, pool: asyncpg.Pool, relay: CloseHoldingRelay) -> None:
    """The server ends the pool's only connection; its close is held back by the relay."""
    async with pool.acquire() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid()")
    relay.hold = True
    admin = await asyncpg.connect(database_url)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid) is True
    finally:
        await admin.close()
    await asyncio.wait_for(relay.server_closed.wait(), 10)
    await asyncio.sleep(SETTLE_SECONDS)


async def test_a_probe_on_a_connection_the_server_ended_fails_and_the_watch_goes_on(
        database_url: str) -> None:
    async with relayed_pool(database_url) as (relay, pool):
        watch = StoreWatch(pool, 2.0)
        assert await watch.probe() is True
        await end_idle_connection(database_url, pool, relay)
        task = asyncio.create_task(watch.run())
        try:
            await asyncio.sleep(SETTLE_SECONDS)
            assert not task.done(), task.exception()
            assert watch.last_error == "InternalClientError", "the probe met the ended connection"
            assert watch.check()[1]["last_error"] == "InternalClientError"
            relay.hold = False
            relay.release()
            for _ in range(100):  # the next probes (one a second) open a new connection
                if watch.last_error is None:
                    break
                await asyncio.sleep(0.1)
            assert watch.last_error is None and not task.done()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_a_request_on_a_connection_the_server_ended_is_a_503(make_client: AppFactory,
                                                                    settings: Settings,
                                                                    database_url: str,
                                                                    caplog: pytest.LogCaptureFixture,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.store_watch.PROBE_SECONDS", 3600.0)  # one probe at start, then only the request
    async with relayed_pool(database_url) as (relay, pool):
        client: TestClient[Any, Any] = await make_client(settings, pool=pool)
        assert client.app[POOL] is pool
        await end_idle_connection(database_url, pool, relay)
        response = await client.get("/v1/incidents")
        assert response.status == 503, await response.text()
        assert response.content_type == "application/problem+json"
        assert "Retry-After" in response.headers
        relay.hold = False
        relay.release()
        await client.close()
    assert "Traceback" not in caplog.text
