"""How many reports a service has stored and counted: rows, counted rows, and its counts' totals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

REPORT_TALLIES = """
SELECT s.service, s.rows, s.counted, coalesce(c.n, 0) AS n, coalesce(c.reporters, 0) AS reporters
FROM (SELECT service, count(*) AS rows, count(*) FILTER (WHERE counted) AS counted
      FROM signals WHERE source = $1 AND service = ANY($2::text[]) AND observed_at >= $3
      GROUP BY service) s
LEFT JOIN (SELECT service, sum(n) AS n, sum(reporters) AS reporters FROM counts
           WHERE kind = 'report' AND service = ANY($2::text[]) AND bucket >= $3
           GROUP BY service) c USING (service)
"""


async def report_tallies(conn: asyncpg.Connection | asyncpg.Pool, source: str,
                         services: Sequence[str], since: datetime) -> dict[str, tuple[int, int, int, int]]:
    """Per service, from ``since`` (a bucket start): (rows from ``source``, of which counted,
    counts.n of all reports, counts.reporters)."""
    rows = await conn.fetch(REPORT_TALLIES, source, list(services), since)
    return {r["service"]: (int(r["rows"]), int(r["counted"]), int(r["n"]), int(r["reporters"])) for r in rows}
