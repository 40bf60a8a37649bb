"""Malformed requests over a raw socket: every one a 4xx problem, none a 500, no traceback logged."""

from __future__ import annotations

import asyncio
import gzip
import logging
import zlib
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.api.conftest import ADMIN_TOKEN
from tests.api.raw_http import exchange

REPORT = b'{"service": "bt", "problem": "login"}'
CORRUPT = b"\x1f\x8b\x08\x00not-really-gzip-at-all"


def request(method: str, path: str, body: bytes = b"", **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: test", "Connection: close",
             f"Content-Length: {len(body)}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def problem(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    assert headers["content-type"].startswith("application/problem+json"), (status, body)
    document: dict[str, Any] = orjson.loads(body)
    assert document["status"] == status
    return document


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(("encoding", "body"), [
    ("gzip", CORRUPT), ("deflate", b"\x78\x9cnot deflate"), ("deflate", b"\x00" * 40),
])
async def test_a_corrupt_compressed_report_is_a_400(client: TestClient[Any, Any],
                                                    caplog: pytest.LogCaptureFixture,
                                                    encoding: str, body: bytes) -> None:
    status, headers, answer = await exchange(client, request(
        "POST", "/v1/reports", body, Content_Type="application/json", Content_Encoding=encoding))
    assert status == 400
    assert encoding in problem(400, headers, answer)["detail"]
    assert_no_traceback(caplog)


@pytest.mark.parametrize(("encoding", "compress"), [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("identity", bytes)])
async def test_a_well_compressed_report_is_accepted(client: TestClient[Any, Any], encoding: str,
                                                    compress: Any) -> None:
    status, _, answer = await exchange(client, request(
        "POST", "/v1/reports", compress(REPORT), Content_Type="application/json",
        Content_Encoding=encoding, User_Agent=f"compress-{encoding}"))
    assert status == 202, answer
    assert orjson.loads(answer)["service"] == "bt"


@pytest.mark.parametrize("encoding", ["zstdx", "gzip, gzip", "x-compress", "br;q=1"])
async def test_an_unknown_content_encoding_is_a_415(client: TestClient[Any, Any], encoding: str) -> None:
    status, headers, answer = await exchange(client, request(
        "POST", "/v1/reports", REPORT, Content_Type="application/json", Content_Encoding=encoding))
    assert status == 415
    assert problem(415, headers, answer)["type"].endswith("unsupported-media-type")


async def test_admin_put_with_a_corrupt_body_is_a_400(client: TestClient[Any, Any],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    status, headers, answer = await exchange(client, request(
        "PUT", "/v1/admin/services/fuzz-gz", CORRUPT, Content_Type="application/json",
        Content_Encoding="gzip", Authorization=f"Bearer {ADMIN_TOKEN}"))
    assert status == 400
    problem(400, headers, answer)
    status, headers, answer = await exchange(client, request(
        "PUT", "/v1/admin/services/fuzz-gz", b"{}", Content_Encoding="snappy",
        Authorization=f"Bearer {ADMIN_TOKEN}"))
    assert status == 415
    assert_no_traceback(caplog)


@pytest.mark.parametrize("token", [b"\xff\xfe", b"\xc3(", ADMIN_TOKEN.encode() + b"\x80"])
async def test_a_bearer_token_that_is_not_utf8_is_a_401(client: TestClient[Any, Any],
                                                        caplog: pytest.LogCaptureFixture,
                                                        token: bytes) -> None:
    raw = (b"PUT /v1/admin/services/fuzz-x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
           b"Content-Length: 2\r\nAuthorization: Bearer " + token + b"\r\n\r\n{}")
    status, headers, answer = await exchange(client, raw)
    assert status == 401
    assert problem(401, headers, answer)["type"].endswith("unauthorized")
    assert_no_traceback(caplog)


FRAMING = [
    b"GARBAGE\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32) + b"\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: t\r\n\r\n",
    b"POST /v1/reports HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
    b"POST /v1/reports HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    b"POST /v1/reports HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
    b"POST /v1/reports HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"
    b"\r\n0\r\n\r\n",
    b"GET /" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n",
]


async def test_framing_errors_are_problems_and_log_one_short_line(client: TestClient[Any, Any],
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for raw in FRAMING:
        status, headers, answer = await exchange(client, raw)
        assert 400 <= status < 500, (raw[:60], status)
        document = problem(status, headers, answer)
        assert len(document["detail"]) < 200 and "aaaa" not in document["detail"]
    assert_no_traceback(caplog)
    framing_lines = [r for r in caplog.records if r.name == "api.framing"]
    assert 1 <= len(framing_lines) <= 2, [r.getMessage() for r in framing_lines]


@pytest.mark.parametrize("expect", [b"\xff\xfe", b"x" * 100, b"100-continue-please"])
@pytest.mark.parametrize("path", [b"/", b"/s/bt", b"/v1/services/bt", b"/static/x/app.js", b"/nowhere"])
async def test_an_unknown_expectation_is_a_417_problem(client: TestClient[Any, Any],
                                                       caplog: pytest.LogCaptureFixture,
                                                       expect: bytes, path: bytes) -> None:
    """aiohttp's own Expect handler answered text/plain and echoed the header; bytes that are not
    UTF-8 made the echo a 500 with a traceback."""
    raw = b"GET " + path + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\nExpect: " + expect + b"\r\n\r\n"
    status, headers, answer = await exchange(client, raw)
    assert status == 417
    assert problem(417, headers, answer)["type"].endswith("expectation-failed")
    assert b"xxxx" not in answer
    assert_no_traceback(caplog)


async def test_expect_100_continue_is_honoured(client: TestClient[Any, Any]) -> None:
    assert client.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    try:
        writer.write(b"POST /v1/reports HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                     b"Content-Type: application/json\r\nUser-Agent: expect-continue\r\n"
                     b"Expect: 100-continue\r\nContent-Length: " + str(len(REPORT)).encode() + b"\r\n\r\n")
        await writer.drain()
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        writer.write(REPORT)
        await writer.drain()
        final = await asyncio.wait_for(reader.read(), 10)
        assert final.startswith(b"HTTP/1.1 202"), final[:200]
    finally:
        writer.close()
