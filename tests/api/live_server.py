"""The real app served on a real socket from a thread of its own, for clients that block (schemathesis)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web


@contextmanager
def serve_in_thread(app: web.Application) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) until the block ends; yield its base URL."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()
    state: dict[str, Any] = {}

    async def run() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["port"] = runner.addresses[0][1]
        started.set()
        await stop.wait()
        await runner.cleanup()

    def main() -> None:
        try:
            loop.run_until_complete(run())
        except BaseException as exc:
            state["error"] = exc
            started.set()
        finally:
            loop.close()

    thread = threading.Thread(target=main, name="api-live-server", daemon=True)
    thread.start()
    started.wait(30)
    if "error" in state:
        raise RuntimeError("the API did not start") from state["error"]
    try:
        yield f"http://127.0.0.1:{state['port']}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
