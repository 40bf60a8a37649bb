"""`downwatch demo [--port N]`: the whole system on one machine, with nothing to set up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import sys
import time
from typing import Any

from downwatch.config import Settings, load_settings
from downwatch.errors import ConfigError

DEMO_DATABASE = "downwatch_demo"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo", help="run the whole system with a replayed BT-style outage (no setup needed)",
        description="Start an embedded PostgreSQL (or use DATABASE_URL), replay a synthetic BT-style "
                    "outage through the real pipeline and detector, and serve the API and dashboard.")
    parser.add_argument("--port", type=int, default=None,
                        help="port to listen on (default 8080; 0: any free port)")
    parser.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--history-days", type=int, default=7, choices=range(2, 29), metavar="DAYS",
                        help="days of normal history before the outage (2-28, default 7)")
    parser.add_argument("--speed", type=float, default=30.0,
                        help="how many times faster than real time the incident plays (default 30)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.port is not None:
        overrides["port"] = args.port
    if args.host is not None:
        overrides["host"] = args.host
    settings = load_settings(args.config, **overrides)
    if not 0 < args.speed <= 3600:
        raise ConfigError("--speed must be above 0 and at most 3600")
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    asyncio.run(_demo(settings, args.history_days, args.speed))
    return 0


def _say(message: str) -> None:
    print(f"downwatch demo: {message}", flush=True)


async def _demo(settings: Settings, history_days: int, speed: float) -> None:
    from aiohttp import web

    from detector.warmup import compile_loops
    from downwatch.pgembed import EmbeddedPostgres, default_data_dir
    from downwatch.runtime.demo import DemoSystem
    from downwatch.store.databases import create_database

    began = time.monotonic()
    # Compiling the detector's loops (a fresh install's first run) overlaps PostgreSQL's start and the
    # feeder's; the ticker's first bucket waits on numba's compiler lock instead of compiling again.
    compiling = asyncio.create_task(asyncio.to_thread(compile_loops))
    server: EmbeddedPostgres | None = None
    admin_dsn = settings.database_url
    if admin_dsn is None:
        data_dir = settings.data_dir or default_data_dir()
        _say(f"starting an embedded PostgreSQL in {data_dir}")
        server = EmbeddedPostgres(data_dir)
        admin_dsn = await asyncio.to_thread(server.start)
    try:
        dsn = await create_database(admin_dsn, DEMO_DATABASE, replace=True)
        demo_settings = settings.with_overrides(database_url=dsn,
                                                hash_key=settings.hash_key or secrets.token_hex(32))
        async with DemoSystem.start(demo_settings, history_days=history_days, speed=speed,
                                    progress=_say) as demo:
            await compiling
            app = demo.create_app()
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, settings.host, settings.port)
            await site.start()
            port = runner.addresses[0][1] if runner.addresses else settings.port
            _say(f"ready in {time.monotonic() - began:.1f} s; the outage plays at {speed:g}x real time")
            onset_in = (demo.scenario.outage.onset - demo.live_from).total_seconds() / speed
            print(f"downwatch demo: open http://{settings.host}:{port}/  (Ctrl-C to stop)", flush=True)
            _say(f"the BT outage begins in about {onset_in:.0f} s; follow it at "
                 f"http://{settings.host}:{port}/s/bt")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signum, stop.set)
            await stop.wait()
            _say("stopping")
            await runner.cleanup()
    finally:
        if server is not None:
            await asyncio.to_thread(server.stop)
    sys.stdout.flush()
