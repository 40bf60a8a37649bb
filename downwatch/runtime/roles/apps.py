"""One role's process, assembled: ``role_app(settings, role)`` is what `serve --role ROLE` runs.

Every role is the API app (so each answers ``/healthz`` and ``/metrics`` with its own lag and
connections) with the NATS connection as its report sink and the role's work in the background.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

from aiohttp import web

from api.app import create_app
from downwatch.catalog import load_catalog
from downwatch.config import Settings
from downwatch.errors import ConfigError
from downwatch.runtime.roles.bus_context import bus_context
from downwatch.runtime.roles.catalog_share import catalog_share_context
from downwatch.runtime.roles.detect import detect_context
from downwatch.runtime.roles.ingest import sources_context
from downwatch.runtime.roles.verdict_watch import flag_stale, verdict_watch_context
from downwatch.runtime.roles.write import writer_context
from downwatch.runtime.wiring import CleanupContext, compiled_detector

ROLES = ("api", "ingest", "detect", "write")
GC_THRESHOLDS = (50_000, 20, 100)
"""A role process's garbage collector thresholds (Python's default: 700, 10, 10). A tick at 33,000
services makes and keeps a few hundred thousand containers (verdicts, their answers); with the default
young-generation threshold the collector traversed them again and again, a quarter of a detect
worker's CPU per tick (0.66-0.82 -> 0.43-0.62 s for 11,000 services here)."""


def collect_less_often() -> None:
    """Set ``GC_THRESHOLDS`` (`serve --role` does, before it builds the app)."""
    gc.set_threshold(*GC_THRESHOLDS)


def role_app(settings: Settings, role: str, *, only: Sequence[str] = ()) -> web.Application:
    """The app of ``serve --role ROLE``; ``only`` limits an ingest role to those sources.

    Every role needs NATS except ``ingest``, which without it stores straight into PostgreSQL.
    """
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; choose one of {', '.join(ROLES)} or all")
    if only and role != "ingest":
        raise ConfigError("--only is for --role ingest")
    catalog = load_catalog(settings.catalog_path)
    if role == "ingest":
        sink = bus_context(role) if settings.nats_url else None
        return create_app(settings, catalog=catalog, report_sink=sink,
                          background=[sources_context(settings, catalog, only)])
    if not settings.nats_url:
        raise ConfigError(f"`serve --role {role}` needs NATS_URL (a nats-server with JetStream); "
                          "without NATS run `serve` (role all)")
    background: list[CleanupContext] = []
    if role == "api":
        background += [verdict_watch_context(), catalog_share_context()]
    elif role == "write":
        background.append(writer_context())
    else:
        background += [compiled_detector, detect_context()]
    app = create_app(settings, catalog=catalog, report_sink=bus_context(role), background=background)
    if role == "api":
        app.on_response_prepare.append(flag_stale)
    return app
