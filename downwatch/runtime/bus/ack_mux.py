"""JetStream publishes with their acknowledgements gathered on one subscription.

``nats-py``'s ``js.publish`` is a request per message (a future, a ``wait_for`` task and a dataclass
per acknowledgement); at thousands of reports a second that cost dominates an API process. Here each
message names a reply subject under one inbox the process subscribes to once, a plain timer bounds
the wait, and the acknowledgement is parsed with orjson. What JetStream answers is the same:
``{"stream": ..., "seq": ..., "duplicate": true?}`` or ``{"error": ...}``.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription


class PublishFailed(Exception):
    """JetStream did not acknowledge the message (timeout, refusal or connection lost)."""


class AckMux:
    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._prefix = nc.new_inbox() + "."
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self._tokens = itertools.count()
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = await self._nc.subscribe(self._prefix + "*", cb=self._on_ack,
                                                      pending_msgs_limit=-1, pending_bytes_limit=-1)

    async def _on_ack(self, msg: Msg) -> None:
        future = self._pending.pop(msg.subject[len(self._prefix):], None)
        if future is not None and not future.done():
            future.set_result(msg.data)

    async def publish(self, subject: str, payload: bytes, headers: dict[str, str],
                      timeout: float) -> dict[str, Any]:
        """The acknowledgement; ``PublishFailed`` when there is none within ``timeout`` or it is a refusal."""
        ack = await self.answer(subject, payload, headers, timeout)
        if "error" in ack:
            raise PublishFailed(str(ack["error"].get("description", ack["error"])))
        return ack

    async def answer(self, subject: str, payload: bytes, headers: dict[str, str],
                     timeout: float) -> dict[str, Any]:
        """JetStream's answer, a refusal (``{"error": {...}}``) included; ``PublishFailed`` when there
        is none within ``timeout``."""
        token = str(next(self._tokens))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self._pending[token] = future
        timer = loop.call_later(timeout, _expire, future)
        try:
            await self._nc.publish(subject, payload, reply=self._prefix + token, headers=headers)
            ack: dict[str, Any] = orjson.loads(await future)
        except PublishFailed:
            raise
        except Exception as exc:
            raise PublishFailed(type(exc).__name__) from exc
        finally:
            timer.cancel()
            self._pending.pop(token, None)
        return ack


def _expire(future: asyncio.Future[bytes]) -> None:
    if not future.done():
        future.set_exception(PublishFailed("no acknowledgement in time"))
