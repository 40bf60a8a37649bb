"""`downwatch serve`: the production process — store, sources, detector and API in one process."""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

from downwatch.config import Settings, load_settings
from downwatch.errors import ConfigError, StoreUnavailable

DSN_SCHEMES = ("postgresql://", "postgres://")
LISTEN_ERRNOS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="run the production process (store from DATABASE_URL, sources from config)",
        description="Run ingest, the detector and the HTTP API against the PostgreSQL at DATABASE_URL.")
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="TOML settings file (also accepted before `serve`; default: $DOWNWATCH_CONFIG)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (overrides the settings)")
    parser.add_argument("--host", default=None, help="address to listen on (overrides the settings)")
    role = parser.add_mutually_exclusive_group()
    role.add_argument("--no-sources", action="store_true",
                      help="serve the API and run the detector without starting any ingest source")
    role.add_argument("--follower", action="store_true",
                      help="serve the API only, following the verdicts another `serve` process writes "
                           "(for several API processes behind a cache; see api/deploy/README.md)")
    parser.add_argument("--role", choices=("all", "api", "ingest", "detect", "write"), default="all",
                        help="which part to run (default all: everything in this process, no NATS); the "
                             "others need NATS_URL and run one part each (see docs/deploy.md)")
    parser.add_argument("--only", nargs="+", default=[], metavar="SOURCE",
                        help="with --role ingest: run only these configured sources")
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
    _check_database_url(settings.database_url)
    if not settings.hash_key:
        raise ConfigError("DOWNWATCH_HASH_KEY is not set; give a long random secret "
                          "(python3 -c 'import secrets; print(secrets.token_hex(32))')")
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    import asyncpg
    from aiohttp import web

    from downwatch.runtime.service import build_app
    from downwatch.store.pool import describe_dsn

    if args.only and args.role != "ingest":
        raise ConfigError("--only is for --role ingest")
    if args.role != "all":
        if args.no_sources or args.follower:
            raise ConfigError("--no-sources and --follower are for --role all; a role runs one part only")
        from downwatch.runtime.roles.apps import collect_less_often, role_app

        collect_less_often()
        app = role_app(settings, args.role, only=args.only)
    else:
        app = build_app(settings, with_sources=not args.no_sources, follower=args.follower)
    try:
        web.run_app(app, host=settings.host, port=settings.port, access_log=None,
                    print=lambda message: print(f"downwatch serve: {message}", flush=True))
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StoreUnavailable(f"the store at {describe_dsn(settings.database_url)} failed while starting: "
                               f"{_one_line(exc)}; check that DATABASE_URL names a downwatch database "
                               "(`downwatch db status`)") from exc
    except OSError as exc:
        if isinstance(exc, socket.gaierror) or exc.errno in LISTEN_ERRNOS:
            raise ConfigError(f"cannot listen on {_address(settings)}: {exc.strerror or _one_line(exc)}; "
                              "choose another --port or --host") from exc
        raise
    return 0


def _check_database_url(url: str) -> None:
    """Refuse a DATABASE_URL the PostgreSQL driver would choke on, before anything starts."""
    example = "for example postgresql://user@host:5432/downwatch"
    if not url.startswith(DSN_SCHEMES):
        raise ConfigError(f"DATABASE_URL must start with postgresql:// or postgres:// ({example})")
    try:
        urlsplit(url).port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL cannot be parsed: {exc} ({example})") from exc


def _address(settings: Settings) -> str:
    return f"{settings.host}:{settings.port}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
