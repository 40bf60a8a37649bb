"""A downwatch API process for the benchmarks (or a bare aiohttp handler serving the same bytes).

    python benchmarks/api_server.py --port 8081 [--bare] [--database-url DSN] [--tick 5]
        [--trusted-proxy 127.0.0.1] [--reuse-port]

Without a store, a synthetic ticker publishes a verdict for every service each tick, the way the
detector does in production; ``updated_at`` is the tick's start, so answers show their age. With
``--bare``, one handler answers ``GET /v1/services/{slug}`` with the exact bytes downwatch would send
for that slug: the framework's own ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import uvloop
from aiohttp import web

from api.app import create_app
from api.board import VerdictBoard
from api.keys import BOARD
from api.tuning import ApiTuning
from downwatch.catalog import load_catalog
from downwatch.config import Settings


def synthetic_verdicts(slugs: list[str], tick_seconds: float) -> tuple[dict[str, dict[str, Any]], datetime]:
    tick_start = datetime.fromtimestamp(time.time() // tick_seconds * tick_seconds, tz=UTC)
    stamp = tick_start.isoformat().replace("+00:00", "Z")
    verdicts = {}
    for index, slug in enumerate(slugs):
        down = index % 17 == 0
        verdicts[slug] = {
            "status": "down" if down else "up", "since": "2025-02-04T08:12:00Z", "confidence": 0.97,
            "observed": 412.0 if down else 3.0, "expected": 11.3, "ratio": 36.5 if down else 0.3,
            "score": 0.9999 if down else 0.1, "bucket": stamp, "updated_at": stamp,
            "problems": {"login": 0.41, "billing": 0.22, "email": 0.2, "website": 0.17},
            "locations": {"London": 120, "Manchester": 48},
            "sources": {"report": {"observed": 300.0, "expected": 8.0, "score": 0.9999},
                        "post": {"observed": 112.0, "expected": 3.3, "score": 0.999}},
            "official": {"indicator": "none", "description": "All Systems Operational", "incident": None},
            "incident_id": 17 if down else None,
            "explanation": "412 reports and posts in the last minute against 11 expected" if down
            else "3 reports against 11 expected: normal",
        }
    return verdicts, tick_start


def synthetic_ticker(tick_seconds: float) -> Any:
    async def ticker(app: web.Application) -> AsyncIterator[None]:
        board = app[BOARD]
        slugs = [service.slug for service in board.services()]

        async def loop() -> None:
            while True:
                verdicts, at = synthetic_verdicts(slugs, tick_seconds)
                board.publish(verdicts, at)
                await asyncio.sleep(tick_seconds - time.time() % tick_seconds + 0.01)

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ticker


def bare_app(slug: str, tick_seconds: float, *, same_headers: bool = False) -> web.Application:
    board = VerdictBoard(load_catalog())
    verdicts, at = synthetic_verdicts([s.slug for s in board.services()], tick_seconds)
    board.publish(verdicts, at)
    answer = board.verdict_answer(slug)
    assert answer is not None
    body = answer.body
    headers = {"Content-Type": "application/json", "ETag": answer.etag,
               "Last-Modified": answer.last_modified_http,
               "Cache-Control": "public, max-age=4, stale-while-revalidate=8"}

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async def handler_with_headers(request: web.Request) -> web.Response:
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_get("/v1/services/{slug}", handler_with_headers if same_headers else handler)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--same-headers", action="store_true",
                        help="with --bare: also send downwatch's ETag, Last-Modified and Cache-Control")
    parser.add_argument("--slug", default="bt")
    parser.add_argument("--tick", type=float, default=5.0)
    parser.add_argument("--database-url")
    parser.add_argument("--trusted-proxy", action="append", default=[])
    parser.add_argument("--reuse-port", action="store_true")
    parser.add_argument("--report-writers", type=int, default=ApiTuning().report_writers)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.bare:
        app = bare_app(args.slug, args.tick, same_headers=args.same_headers)
    else:
        settings = Settings(database_url=args.database_url, tick_seconds=args.tick, hash_key="benchmark-key",
                            trusted_proxies=tuple(args.trusted_proxy), report_rate_per_minute=10,
                            report_global_rate_per_second=100_000, pool_max_size=10)
        app = create_app(settings, background=[synthetic_ticker(args.tick)],
                         tuning=ApiTuning(report_writers=args.report_writers))
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None,
                reuse_port=args.reuse_port, loop=uvloop.new_event_loop())


if __name__ == "__main__":
    main()
