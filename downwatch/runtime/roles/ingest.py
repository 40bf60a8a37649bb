"""The ingest role: configured sources only (`serve --role ingest [--only NAME ...]`).

One process per source (or per shard of one) scales ingest out. Under NATS each batch of signals is
published to the stream (``SignalPublisher.submit_all``) and the source's cursor is saved once all of
it was acknowledged; without NATS the batch and the cursor commit to the store together, as in the
single process. This replaces the old standalone ``python -m ingest.runner``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from aiohttp import web

from api.keys import METRICS, POOL
from api.metrics import Gauge
from downwatch.catalog import Catalog
from downwatch.config import Settings
from downwatch.errors import ConfigError
from downwatch.runtime.roles.bus_context import PUBLISHER
from downwatch.runtime.wiring import CleanupContext, ingest_context
from ingest.runner import SourceRunner
from ingest.sources.registry import build_sources
from ingest.sources.routing import default_pipeline


def sources_context(settings: Settings, catalog: Catalog, only: Sequence[str] = ()) -> CleanupContext:
    """Run the configured sources (those named in ``only``, when given) until shutdown."""
    if not settings.hash_key:
        raise ConfigError("hash_key (DOWNWATCH_HASH_KEY) is not set; authors are stored only as keyed hashes")
    built = build_sources(settings, catalog)
    unknown = sorted(set(only) - {source.name for source in built})
    if unknown:
        raise ConfigError(f"--only names sources that are not configured: {', '.join(unknown)} "
                          f"(configured: {', '.join(s.name for s in built) or 'none'})")
    sources = [source for source in built if not only or source.name in only]
    if not sources:
        raise ConfigError("no source to run; configure [sources.NAME] tables (see ingest/README.md)")
    pipeline = default_pipeline(catalog, settings.hash_key, settings.report_window_seconds)

    def runners(app: web.Application) -> list[SourceRunner]:
        publisher = app.get(PUBLISHER)
        publish = publisher.submit_all if publisher is not None else None
        made = [SourceRunner(source, pipeline, app[POOL], bucket_seconds=settings.bucket_seconds,
                             publish=publish, parents=catalog.parents()) for source in sources]
        started_at = datetime.now(UTC)
        app[METRICS].add_gauge(Gauge(
            "downwatch_role_lag_seconds", "How far each role of this process is behind (ingest: per "
            "source, seconds since its last stored batch plus how old that batch's newest item was).",
            ("role", "source"), lambda: ingest_lag(made, started_at, datetime.now(UTC))))
        return made

    return ingest_context(runners)


def ingest_lag(runners: Sequence[SourceRunner], started_at: datetime,
               now: datetime) -> dict[tuple[str, ...], float]:
    """Each source's lag: since its last stored batch (or since the start, before one), plus how far
    behind real time that batch's newest item was."""
    lags: dict[tuple[str, ...], float] = {}
    for runner in runners:
        since = (now - (runner.last_success_at or started_at)).total_seconds()
        lags[("ingest", runner.source.name)] = max(0.0, since) + (runner.last_batch_lag_seconds or 0.0)
    return lags
