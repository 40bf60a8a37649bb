"""Reading history back for research: counts, location counts and signals over a window.

Every filter is optional: a NULL parameter means "any" (all services, from the first or to the last row).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

READ_COUNTS = """
SELECT service, bucket, kind, problem, n, weight, reporters FROM counts
WHERE ($1::text[] IS NULL OR service = ANY($1::text[]))
  AND ($2::timestamptz IS NULL OR bucket >= $2) AND ($3::timestamptz IS NULL OR bucket < $3)
ORDER BY bucket, service, kind, problem
"""

READ_LOCATION_COUNTS = """
SELECT service, bucket, location, n FROM location_counts
WHERE ($1::text[] IS NULL OR service = ANY($1::text[]))
  AND ($2::timestamptz IS NULL OR bucket >= $2) AND ($3::timestamptz IS NULL OR bucket < $3)
ORDER BY bucket, service, location
"""

READ_SIGNALS = """
SELECT source, external_id, service, kind, problem, location, weight, observed_at, author_hash
FROM signals
WHERE ($1::text[] IS NULL OR service = ANY($1::text[]))
  AND ($2::timestamptz IS NULL OR observed_at >= $2) AND ($3::timestamptz IS NULL OR observed_at < $3)
ORDER BY observed_at, source, external_id
"""

READ_SIGNALS_WITH_EVIDENCE = """
SELECT source, external_id, service, kind, problem, location, weight, observed_at, author_hash, evidence
FROM signals
WHERE ($1::text[] IS NULL OR service = ANY($1::text[]))
  AND ($2::timestamptz IS NULL OR observed_at >= $2) AND ($3::timestamptz IS NULL OR observed_at < $3)
ORDER BY observed_at, source, external_id
"""


async def read_counts_window(conn: asyncpg.Connection, services: Sequence[str] | None,
                             start: datetime | None, end: datetime | None
                             ) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """``counts`` and ``location_counts`` rows of the services in [start, end)."""
    names = None if services is None else list(services)
    counts = await conn.fetch(READ_COUNTS, names, start, end)
    places = await conn.fetch(READ_LOCATION_COUNTS, names, start, end)
    return counts, places


async def read_signals_window(conn: asyncpg.Connection, services: Sequence[str] | None,
                              start: datetime | None, end: datetime | None, *,
                              with_evidence: bool = False) -> list[asyncpg.Record]:
    """Signals of the services observed in [start, end), oldest first."""
    names = None if services is None else list(services)
    query = READ_SIGNALS_WITH_EVIDENCE if with_evidence else READ_SIGNALS
    return list(await conn.fetch(query, names, start, end))
