"""Answers read from the store, computed once per board version however many clients ask at once.

The first request for a key starts the query; concurrent requests for the same key await the same
future; the whole cache is dropped when the board's version changes (once per detector tick).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable

from api.representation import Representation

CACHE_LIMIT = 4096


class StoreAnswerCache:
    def __init__(self) -> None:
        self._version = -1
        self._answers: dict[Hashable, asyncio.Future[Representation]] = {}

    async def get(self, version: int, key: Hashable,
                  build: Callable[[], Awaitable[Representation]]) -> Representation:
        if version != self._version:
            self._version = version
            self._answers = {}
        future = self._answers.get(key)
        if future is None:
            if len(self._answers) >= CACHE_LIMIT:
                self._answers = {}
            future = asyncio.get_running_loop().create_future()
            self._answers[key] = future
            try:
                future.set_result(await build())
            except asyncio.CancelledError:
                self._answers.pop(key, None)
                future.cancel()
                raise
            except Exception as exc:
                self._answers.pop(key, None)
                future.set_exception(exc)
                future.exception()  # marks it retrieved when nobody else was waiting
                raise
        return await asyncio.shield(future)
