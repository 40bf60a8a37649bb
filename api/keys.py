"""The typed keys under which the application keeps its parts (no module-level state)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web

from api.board import VerdictBoard
from api.client_identity import ClientIdentifier
from api.cors import CorsPolicy
from api.health_checks import HealthChecks
from api.metrics import ApiMetrics
from api.ratelimit import ReportLimiter
from api.report_sink import ReportSink
from api.store_cache import StoreAnswerCache
from api.tuning import ApiTuning
from downwatch.catalog import Catalog
from downwatch.clock import Clock
from downwatch.config import Settings
from downwatch.records import Service

SETTINGS = web.AppKey("settings", Settings)
CORS = web.AppKey("cors", CorsPolicy)
TUNING = web.AppKey("tuning", ApiTuning)
CATALOG = web.AppKey("catalog", Catalog)
BOARD = web.AppKey("board", VerdictBoard)
METRICS = web.AppKey("metrics", ApiMetrics)
POOL = web.AppKey("pool", asyncpg.Pool)
REPORT_WRITER = web.AppKey("report_writer", ReportSink)
REPORT_LIMITER = web.AppKey("report_limiter", ReportLimiter)
CLIENTS = web.AppKey("clients", ClientIdentifier)
STORE_ANSWERS = web.AppKey("store_answers", StoreAnswerCache)
HEALTH_CHECKS = web.AppKey("health_checks", HealthChecks)
CLOCK = web.AppKey("clock", Clock)
"""The data's clock: when a report is received (the wall clock; the demo's replay clock in the demo)."""

CatalogEditListener = Callable[[Service], Awaitable[None]]
CATALOG_EDIT_LISTENERS = web.AppKey("catalog_edit_listeners", list[CatalogEditListener])
"""Told of each admin edit once it is stored (under NATS: shared with the other API processes)."""
