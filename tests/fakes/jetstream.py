"""A fake Jetstream: ``/subscribe`` websocket that plays commit events (replaying from ``cursor``),
and can drop the connection cleanly or in the middle of a frame."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.server import Faults, with_faults

BASE_TIME_US = 1732520100000000


def post_event(index: int, text: str, *, did: str | None = None, collection: str = "app.bsky.feed.post",
               time_us: int | None = None) -> dict[str, Any]:
    stamp = time_us if time_us is not None else BASE_TIME_US + index * 1000
    return {"did": did or f"did:plc:author{index:06d}", "time_us": stamp, "kind": "commit",
            "commit": {"rev": f"rev{index}", "operation": "create", "collection": collection,
                       "rkey": f"rk{index:06d}", "cid": f"bafy{index}",
                       "record": {"$type": collection, "text": text, "langs": ["en"],
                                  "createdAt": "2024-11-25T07:35:00.000Z"}}}


@dataclass
class FakeJetstream:
    events: list[dict[str, Any] | str | bytes] = field(default_factory=list)
    pace_seconds: float = 0.0
    close_after: dict[int, int] = field(default_factory=dict)
    cut_mid_frame_after: dict[int, int] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    connections: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def _time_us(event: dict[str, Any] | str | bytes) -> int | None:
        return event.get("time_us") if isinstance(event, dict) else None

    async def subscribe(self, request: web.Request) -> web.StreamResponse:
        number = len(self.connections)
        cursor = request.query.get("cursor")
        self.connections.append({"cursor": cursor, "wanted": request.query.getall("wantedCollections", [])})
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        since = int(cursor) if cursor else None
        sent = 0
        for event in self.events:
            stamp = self._time_us(event)
            if since is not None and stamp is not None and stamp < since:
                continue
            if number in self.close_after and sent >= self.close_after[number]:
                await socket.close()
                return socket
            if number in self.cut_mid_frame_after and sent >= self.cut_mid_frame_after[number]:
                assert request.transport is not None
                request.transport.write(b"\x81\x7e\x01\x00" + b'{"did": "did:plc:cut", "time_us"')
                request.transport.close()
                return socket
            if isinstance(event, bytes):
                await socket.send_bytes(event)
            elif isinstance(event, str):
                await socket.send_str(event)
            else:
                await socket.send_str(json.dumps(event))
            sent += 1
            if self.pace_seconds:
                await asyncio.sleep(self.pace_seconds)
        async for message in socket:
            if message.type == WSMsgType.CLOSE:
                break
        return socket

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/subscribe", with_faults(self.faults, "subscribe", self.subscribe))
        return app
