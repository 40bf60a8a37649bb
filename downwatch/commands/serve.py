"""`downwatch serve`: the production process — store, sources, detector and API in one process."""

from __future__ import annotations

import argparse
import contextlib
import logging
from typing import Any

from downwatch.config import load_settings
from downwatch.errors import ConfigError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="run the production process (store from DATABASE_URL, sources from config)",
        description="Run ingest, the detector and the HTTP API against the PostgreSQL at DATABASE_URL.")
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="TOML settings file (also accepted before `serve`; default: $DOWNWATCH_CONFIG)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (overrides the settings)")
    parser.add_argument("--host", default=None, help="address to listen on (overrides the settings)")
    parser.add_argument("--no-sources", action="store_true",
                        help="serve the API and run the detector without starting any ingest source")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.port is not None:
        overrides["port"] = args.port
    if args.host is not None:
        overrides["host"] = args.host
    settings = load_settings(args.config, **overrides)
    if not settings.database_url:
        raise ConfigError("DATABASE_URL is not set; `serve` needs a PostgreSQL server "
                          "(try `downwatch demo` for a self-contained run)")
    if not settings.hash_key:
        raise ConfigError("DOWNWATCH_HASH_KEY is not set; give a long random secret "
                          "(python3 -c 'import secrets; print(secrets.token_hex(32))')")
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    from aiohttp import web

    from downwatch.service import build_app

    app = build_app(settings, with_sources=not args.no_sources)
    web.run_app(app, host=settings.host, port=settings.port, access_log=None,
                print=lambda message: print(f"downwatch serve: {message}", flush=True))
    return 0
