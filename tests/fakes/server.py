"""Running a fake upstream: in the test's event loop, or in a thread of its own (for tests whose
client is another process), plus the failure modes every fake can be told to produce."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HUGE_BYTES = 12 * 1024 * 1024
JSON = "application/json"


class Faults:
    """Failure modes queued per route: the next request to that route gets the next fault.

    Modes: ``429`` (Retry-After: ``retry_after``), ``429-date`` (Retry-After as an HTTP-date),
    ``500``, ``503``, ``timeout`` (answers after ``stall_seconds``), ``html`` (a 200 HTML error page),
    ``malformed`` (truncated JSON), ``badutf8`` (JSON with invalid UTF-8), ``huge`` (a 12 MB body),
    ``cut`` (announces a longer body than it sends, then closes).
    """

    def __init__(self, retry_after: float = 1.0, stall_seconds: float = 30.0) -> None:
        self.retry_after = retry_after
        self.stall_seconds = stall_seconds
        self._queued: dict[str, deque[str]] = {}
        self.served: dict[str, list[str]] = {}

    def queue(self, route: str, *modes: str) -> None:
        self._queued.setdefault(route, deque()).extend(modes)

    def take(self, route: str) -> str | None:
        queued = self._queued.get(route)
        mode = queued.popleft() if queued else None
        self.served.setdefault(route, []).append(mode or "ok")
        return mode

    async def respond(self, request: web.Request, mode: str) -> web.StreamResponse:
        if mode == "429":
            return web.Response(status=429, text='{"message": "Too Many Requests", "error": 429}',
                                content_type=JSON,
                                headers={"Retry-After": f"{self.retry_after:g}"})
        if mode == "429-date":
            from datetime import UTC, datetime, timedelta
            from email.utils import format_datetime

            when = datetime.now(UTC) + timedelta(seconds=self.retry_after)
            return web.Response(status=429, text="slow down",
                                headers={"Retry-After": format_datetime(when, usegmt=True)})
        if mode in ("500", "503"):
            return web.Response(status=int(mode), text="upstream error")
        if mode == "timeout":
            await asyncio.sleep(self.stall_seconds)
            return web.Response(status=504, text="too late")
        if mode == "html":
            return web.Response(text="<!DOCTYPE html><html><body><h1>We'll be right back</h1></body></html>",
                                content_type="text/html")
        if mode == "malformed":
            return web.Response(body=b'{"kind": "Listing", "data": {"children": [', content_type=JSON)
        if mode == "badutf8":
            return web.Response(body=b'[{"id": "1", "content": "\xff\xfe\xfd"}]', content_type=JSON)
        if mode == "huge":
            return web.Response(body=b"[" + b" " * HUGE_BYTES + b"]", content_type=JSON)
        if mode == "cut":
            response = web.StreamResponse(headers={"Content-Length": "100000", "Content-Type": JSON})
            await response.prepare(request)
            await response.write(b'[{"id": "1"')
            assert request.transport is not None
            request.transport.close()
            return response
        raise ValueError(f"unknown fault {mode!r}")


def with_faults(faults: Faults, route: str, handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        mode = faults.take(route)
        if mode is not None:
            return await faults.respond(request, mode)
        return await handler(request)

    return wrapped


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free local port in the running loop; yields its base URL."""
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextmanager
def serving_in_thread(app: web.Application) -> Iterator[str]:
    """Serve ``app`` from a thread with its own event loop; yields its base URL."""
    loop = asyncio.new_event_loop()
    ready: dict[str, str] = {}
    started = threading.Event()
    stop = asyncio.Event()

    async def main() -> None:
        async with serving(app) as url:
            ready["url"] = url
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("fake server did not start")
    try:
        yield ready["url"]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
