"""A background task that lives as long as an ``async with`` block (an app's cleanup context)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

CANCEL_AGAIN_SECONDS = 0.5


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` until it ends, then re-raise whatever it failed with (not its cancellation).

    Once is not always enough: on Python 3.11 ``asyncio.wait_for`` drops a cancellation that
    arrives as its inner future completes (CPython gh-86296), and a loop around it — a NATS watch
    polling ``updates(timeout=…)`` — then runs on for ever, so shutdown would hang.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_AGAIN_SECONDS)
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def running(work: Coroutine[Any, Any, None], name: str) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``work`` as a task for the block's lifetime; cancel it and wait for it on the way out."""
    task = asyncio.create_task(work, name=name)
    try:
        yield task
    finally:
        await cancel_and_wait(task)
