"""The ingest role: configured sources only (`serve --role ingest [--only NAME ...]`).

One process per source (or per shard of one) scales ingest out. Under NATS each batch of signals is
published to the stream (``SignalPublisher.submit_all``) and the source's cursor is saved once all of
it was acknowledged; without NATS the batch and the cursor commit to the store together, as in the
single process. This replaces the old standalone ``python -m ingest.runner``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from api.keys import POOL
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
        return [SourceRunner(source, pipeline, app[POOL], bucket_seconds=settings.bucket_seconds,
                             publish=publish) for source in sources]

    return ingest_context(runners)
