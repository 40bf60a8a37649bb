"""The dashboard's routes (``/``, ``/incidents``, ``/s/*``, ``/embed/*``, ``/dashboard/data/*``,
``/static/*``), which the OpenAPI document does not describe and schemathesis cannot reach, fuzzed
over a raw socket beyond ``test_page_routes_fuzz`` (junk path segments and queries): request
targets as bytes (raw non-UTF-8, bad percent-escapes, traversal into and out of ``/static``,
absolute and asterisk forms), every method, junk in the headers a page or an asset reads
(validators, encodings, ranges, origins, forwarded addresses) and malformed framing and bodies
sent to them. None may answer a server error or log a traceback; every 4xx outside the HTML pages
is a problem document.
"""

from __future__ import annotations

import asyncio
import gzip
import random
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from api.keys import BOARD
from api.routes.dashboard import ASSETS
from tests.api.raw_http import exchange
from tests.api.test_malformed import assert_no_traceback

PAGES = ("/", "/incidents", "/s/bt", "/embed/bt", "/s/no-such", "/embed/no-such")
DATA = ("/dashboard/data/now", "/dashboard/data/services/bt", "/dashboard/data/headline/bt",
        "/dashboard/data/locations", "/dashboard/data/services/no-such", "/dashboard/data/headline/no-such",
        "/dashboard/data/locations?service=bt")
METHODS = ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "FOO", "get", "M-SEARCH",
           "PROPFIND")
SEED = 20261204


def raw_request(target: bytes, method: bytes = b"GET", headers: tuple[bytes, ...] = (),
                body: bytes = b"", length: bool = True) -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: test", b"Connection: close", *headers]
    if length and body:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def assert_answer(target: bytes, status: int, headers: dict[str, str], body: bytes,
                  head: bool = False) -> None:
    assert status < 500, (target[:200], status, body[:300])
    page = target.startswith((b"/s/", b"/embed/", b"/incidents")) or target in (b"/", b"/?")
    if status >= 400 and not page and not head:
        content_type = headers.get("content-type", "")
        assert content_type.startswith("application/problem+json"), (target[:200], body[:300])
        assert orjson.loads(body)["status"] == status


@pytest.fixture
async def dashboard(client: TestClient[Any, Any]) -> TestClient[Any, Any]:
    client.app[BOARD].publish({"bt": {"status": "up", "bucket": "2026-12-04T10:00:00Z"}},
                              client.app[BOARD].published_at)
    return client


def asset_targets(client: TestClient[Any, Any]) -> list[bytes]:
    assets = client.app[ASSETS]
    version = assets.version.encode()
    names = sorted(assets.files)
    some = [name.encode() for name in names[:3]]
    targets = [b"/static/" + version + b"/" + name for name in some]
    here = b"/static/" + version + b"/"
    targets += [b"/static/old/" + some[0], here + b"index.html", here + b"../../../etc/passwd",
                here + b"%2e%2e/%2e%2e/etc/passwd", here + b"..%2f..%2fpyproject.toml", here,
                b"/static/" + version, b"/static/", b"/static", here + b"/" + some[0],
                here + some[0] + b"%00", here + some[0] + b"/", b"/static/%ff%fe/" + some[0],
                here + b"\xff\xfe.js", here + b"x/" * 3000 + b"a.js", here + some[0] + b"?v=\xc3(&v=2"]
    return targets


def weird_targets() -> list[bytes]:
    found = []
    for base in (b"/s/", b"/embed/", b"/dashboard/data/services/", b"/dashboard/data/headline/"):
        for tail in (b"\xff\xfe", b"bt\xc3(", b"%zz", b"%", b"%%", b"%u0041", b"bt%", b"b%00t", b"bt/",
                     b"bt//x", b"", b"/bt", b"bt;x=1", b"bt#frag", b"..", b"%2e%2e",
                     b"bt%0d%0aX-Injected:%201",
                     b"\xe2\x80\xae", b"bt?" + b"&".join(b"a=%d" % i for i in range(3000)),
                     b"bt?from=1&from=2&to=3", b"bt?from=%ff&to=%fe", b"bt?from=\xff", b"bt?=&&=&",
                     b"bt?from=2026-12-04T10:00:00Z&to=2026-12-04T09:00:00Z",
                     b"bt?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", b"bt?hours=1e309",
                     b"bt?from=2026-12-04T10:00:00%2B99:99"):
            found.append(base + tail)
    found += [b"/dashboard/data/now?hours=" + value for value in
              (b"", b"-1", b"0", b"49", b"1.5", b"\xff", b"%ff", b"9" * 400, b"1&hours=2", b"%20%201")]
    found += [b"/dashboard/data/locations?" + query for query in
              (b"service=", b"service=\xff", b"service=%ff", b"hours=2&from=x", b"from=2026-01-01T00:00:00Z",
               b"from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z&service=bt", b"service=bt&service=sky",
               b"to=1970-01-01T00:00:00Z")]
    found += [b"http://evil.example/s/bt", b"http://test/dashboard/data/now", b"*", b"s/bt", b"//s/bt",
              b"/s/../dashboard/data/now", b"/./s/bt", b"/S/BT", b"/embed", b"/s", b"/incidents/",
              b"/incidents?" + b"x" * 20000, b"/?\xff=\xfe", b"/incidents?status=%ff&service=\xc3("]
    return found


async def test_dashboard_request_targets_never_fail(dashboard: TestClient[Any, Any],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    statuses: dict[int, int] = {}
    for target in asset_targets(dashboard) + weird_targets():
        status, headers, body = await exchange(dashboard, raw_request(target))
        statuses[status] = statuses.get(status, 0) + 1
        assert_answer(target, status, headers, body)
    assert_no_traceback(caplog)
    assert statuses.get(200, 0) > 0 and any(400 <= s < 500 for s in statuses), statuses


async def test_every_method_on_a_dashboard_route_is_answered_without_a_server_error(
        dashboard: TestClient[Any, Any], caplog: pytest.LogCaptureFixture) -> None:
    targets = [*PAGES, *DATA, *(t.decode() for t in asset_targets(dashboard)[:2])]
    for target in targets:
        for method in METHODS:
            head = method == "HEAD"
            body = b'{"x": 1}' if method in ("POST", "PUT", "PATCH") else b""
            raw = raw_request(target.encode(), method.encode(), (b"Content-Type: application/json",), body)
            status, headers, answer = await exchange(dashboard, raw, head=head)
            assert status < 500, (method, target, status, answer[:300])
            if method in ("POST", "PUT", "DELETE", "PATCH", "TRACE", "FOO", "PROPFIND", "M-SEARCH"):
                assert status in (400, 405, 501), (method, target, status)
                assert headers["content-type"].startswith("application/problem+json"), (method, target)
    assert_no_traceback(caplog)


def header_junk(rng: random.Random) -> list[bytes]:
    values = [
        b"If-None-Match: *", b'If-None-Match: W/"x"', b"If-None-Match: " + b'"a",' * 1500,
        b"If-None-Match: \xff\xfe", b"If-Modified-Since: yesterday", b"If-Modified-Since: \xc3(",
        b"If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
        b"If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT",
        b"If-Range: x", b"Range: bytes=0-0", b"Range: bytes=99999999-", b"Range: bytes=-1,0-1,5-2",
        b"Range: \xff", b"Accept-Encoding: gzip;q=0", b"Accept-Encoding: " + b"gzip," * 1500,
        b"Accept-Encoding: \xff\xfe", b"Accept-Encoding: br, zstd, *", b"Accept: \xff",
        b"Accept: text/html;q=nan", b"Origin: null", b"Origin: \xff\xfe", b"Origin: http://" + b"a" * 4000,
        b"X-Forwarded-For: \xff\xfe", b"X-Forwarded-For: 1.2.3.4, , ,::ffff:zz",
        b"X-Forwarded-For: " + b"1," * 3000,
        b"Forwarded: for=\"[::1]\";proto=\xff", b"X-Forwarded-Proto: \xff", b"Cookie: " + b"c=1; " * 1500,
        b"Content-Encoding: gzip", b"Content-Encoding: snappy", b"Content-Type: text/html; charset=\xff",
        b"Expect: 100-continue", b"Expect: \xff", b"Upgrade: websocket", b"Connection: upgrade, \xff",
        b"Authorization: Bearer \xff\xfe", b"Authorization: Basic !!!", b"Accept-Language: \xff",
        b"Host: \xff", b"Host: " + b"h" * 4000, b"Host: [::1", b"Cache-Control: max-age=-1, no-cache=\xff",
    ]
    return rng.sample(values, rng.randrange(1, 5))


async def test_junk_headers_on_dashboard_routes_never_fail(dashboard: TestClient[Any, Any],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(SEED)
    targets = [*(t.encode() for t in PAGES + DATA), *asset_targets(dashboard)[:3]]
    for _ in range(400):
        target = rng.choice(targets)
        raw = raw_request(target, headers=tuple(header_junk(rng)))
        status, headers, body = await exchange(dashboard, raw)
        assert_answer(target, status, headers, body)
    assert_no_traceback(caplog)


BODIES: tuple[tuple[tuple[bytes, ...], bytes, bool], ...] = (
    ((b"Content-Encoding: gzip",), b"\x1f\x8b\x08\x00not gzip", True),
    ((b"Content-Encoding: gzip",), gzip.compress(b"x" * 100_000), True),
    ((b"Content-Encoding: deflate",), b"\x78\x9cnot deflate", True),
    ((b"Transfer-Encoding: chunked",), b"zz\r\nxx\r\n0\r\n\r\n", False),
    ((b"Transfer-Encoding: chunked",), b"5\r\nhello\r\n0\r\n\r\n", False),
    ((b"Transfer-Encoding: gzip, chunked",), b"5\r\nhello\r\n0\r\n\r\n", False),
    ((b"Content-Length: 99999999999999999999",), b"", False),
    ((b"Content-Length: -1",), b"", False),
    ((b"Content-Length: 5", b"Content-Length: 6"), b"hello", False),
    ((b"Content-Length: 10",), b"short", False),
    ((), b"\xff" * 2_000_000, True),
)


async def test_bodies_and_framing_sent_to_dashboard_routes_never_fail(
        dashboard: TestClient[Any, Any], caplog: pytest.LogCaptureFixture) -> None:
    targets = [b"/s/bt", b"/dashboard/data/now", b"/dashboard/data/services/bt",
               *asset_targets(dashboard)[:1]]
    for target in targets:
        for method in (b"GET", b"POST"):
            for extra, body, length in BODIES:
                raw = raw_request(target, method, extra, body, length)
                try:
                    status, headers, answer = await exchange(dashboard, raw)
                except (asyncio.IncompleteReadError, ConnectionError):
                    continue  # the server closed a connection it could not frame; no answer is due
                assert_answer(target, status, headers, answer)
                if method == b"POST":
                    assert 400 <= status < 500, (target, extra, status)
    assert_no_traceback(caplog)
