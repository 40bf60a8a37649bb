"""Reports per place for the dashboard's map: one service, or every service, over a time range."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from downwatch.store.dashboard_queries import LOCATION_TOTALS

ALL_PLACES = """
SELECT location, sum(n) AS n FROM location_counts
WHERE bucket >= $1 AND bucket < $2
GROUP BY location
ORDER BY n DESC, location
LIMIT $3
"""


async def place_totals(conn: asyncpg.Pool | asyncpg.Connection, service: str | None, start: datetime,
                       end: datetime, limit: int) -> list[dict[str, Any]]:
    """Signals with a place in [start, end), per place, largest first; every service when None."""
    if service is None:
        rows = await conn.fetch(ALL_PLACES, start, end, limit)
    else:
        rows = await conn.fetch(LOCATION_TOTALS, service, start, end, limit)
    return [{"location": row["location"], "n": int(row["n"])} for row in rows]
