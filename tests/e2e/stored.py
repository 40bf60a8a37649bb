"""What a `serve` run left in PostgreSQL, read back with plain SQL for the end-to-end checks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from downwatch.catalog import load_catalog

SIGNAL_IDS = "SELECT source, external_id, author_hash, location FROM signals"
RAW_TEXT_IN_EVIDENCE = "SELECT count(*) FROM signals WHERE strpos(evidence::text, $1) > 0"
DOUBLED = """
SELECT source, external_id, count(*) AS n FROM signals GROUP BY source, external_id HAVING count(*) > 1
"""
SIGNALS_PER_BUCKET = """
SELECT service, date_bin(make_interval(secs => $1), observed_at, 'epoch'::timestamptz) AS bucket, kind,
       problem, count(*) AS n, sum(weight)::float8 AS weight
FROM signals WHERE counted GROUP BY 1, 2, 3, 4
"""
COUNTS = "SELECT service, bucket, kind, problem, n, weight FROM counts"
HEALTH = "SELECT source, items_total, last_success_at FROM source_health"
CURSORS = "SELECT source, cursor FROM ingest_cursors"

BucketKey = tuple[str, datetime, str, str]


@dataclass
class StoreSnapshot:
    ids: dict[str, list[str]]
    author_hashes: dict[str, set[str | None]]
    locations: dict[str, list[str | None]]
    doubled: list[tuple[str, str, int]]
    signal_counts: dict[BucketKey, tuple[int, float]]
    stored_counts: dict[BucketKey, tuple[int, float]]
    items_total: dict[str, int]
    cursors: dict[str, Any]

    def ids_of(self, source: str) -> list[str]:
        return self.ids.get(source, [])


def with_parents(counts: dict[BucketKey, tuple[int, float]]) -> dict[BucketKey, tuple[int, float]]:
    """Per-bucket counts of the signals as the store keeps them: a product's reports and posts also
    count for its parent (the bundled catalog's ``parents``)."""
    parents = load_catalog().parents()
    total: dict[BucketKey, list[float]] = {}
    for (service, bucket, kind, problem), (n, weight) in counts.items():
        rolled = parents.get(service) if kind in ("report", "post") else None
        for target in (service,) if rolled is None else (service, rolled):
            entry = total.setdefault((target, bucket, kind, problem), [0, 0.0])
            entry[0] += n
            entry[1] += weight
    return {key: (int(n), round(weight, 3)) for key, (n, weight) in total.items()}


async def _snapshot(dsn: str, bucket_seconds: int) -> StoreSnapshot:
    conn = await asyncpg.connect(dsn)
    try:
        ids: dict[str, list[str]] = {}
        authors: dict[str, set[str | None]] = {}
        locations: dict[str, list[str | None]] = {}
        for row in await conn.fetch(SIGNAL_IDS):
            ids.setdefault(row["source"], []).append(row["external_id"])
            authors.setdefault(row["source"], set()).add(row["author_hash"])
            locations.setdefault(row["source"], []).append(row["location"])
        doubled = [(r["source"], r["external_id"], r["n"]) for r in await conn.fetch(DOUBLED)]
        per_bucket = with_parents({(r["service"], r["bucket"], r["kind"], r["problem"]): (r["n"], r["weight"])
                                   for r in await conn.fetch(SIGNALS_PER_BUCKET, float(bucket_seconds))})
        counts = {(r["service"], r["bucket"], r["kind"], r["problem"]): (r["n"], round(r["weight"], 3))
                  for r in await conn.fetch(COUNTS)}
        health = {r["source"]: r["items_total"] for r in await conn.fetch(HEALTH)}
        cursors = {r["source"]: r["cursor"] for r in await conn.fetch(CURSORS)}
        return StoreSnapshot(ids, authors, locations, doubled, per_bucket, counts, health, cursors)
    finally:
        await conn.close()


def snapshot(dsn: str, bucket_seconds: int) -> StoreSnapshot:
    return asyncio.run(_snapshot(dsn, bucket_seconds))


async def _evidence_mentions(dsn: str, text: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval(RAW_TEXT_IN_EVIDENCE, text)
        return count
    finally:
        await conn.close()


def evidence_mentions(dsn: str, text: str) -> int:
    """How many stored signals carry ``text`` anywhere in their evidence."""
    return asyncio.run(_evidence_mentions(dsn, text))
