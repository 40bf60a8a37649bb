"""One HTTP exchange over a raw socket, for requests aiohttp's client would refuse to send."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient


async def exchange(client: TestClient[Any, Any], raw: bytes, *, head: bool = False
                   ) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw``, read one answer (the request asks the connection to close after it): status,
    lower-cased headers, body (none for HEAD, 204 and 304; else by Content-Length, or to the close)."""
    assert client.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    try:
        writer.write(raw)
        await writer.drain()
        top = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        status_line, *lines = top.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip()
                   for name, _, value in (line.partition(":") for line in lines if line)}
        status = int(status_line.split()[1])
        if head or status in (204, 304):
            return status, headers, b""
        if "content-length" in headers:
            body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 10)
        else:
            body = await asyncio.wait_for(reader.read(), 10)
        return status, headers, body
    finally:
        writer.close()
