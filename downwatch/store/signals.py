"""Storing signals: idempotent on (source, external_id), with per-bucket counts of the counted ones
kept in step (a report that does not count is stored with ``counted = false``).

A report or post for a product that belongs to another service (``parents``: child slug -> parent
slug, ``Catalog.parents``) is added to the parent's counts too, so the parent's verdict, its history
and every replay of stored counts see it; probes and status readings stay the product's own. (One
identity reporting both the product and the parent in a window is counted once for each, so twice
for the parent.)

Call ``insert_signals`` inside the caller's transaction when other writes (an ingest cursor) must
commit atomically with the signals; on its own it opens one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from downwatch.records import Signal
from downwatch.store.count_claims import judge

INSERT_KEYS = """
INSERT INTO signal_keys (source, external_id, observed_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
ON CONFLICT DO NOTHING
RETURNING source, external_id
"""

INSERT_SIGNALS = """
INSERT INTO signals (source, external_id, service, kind, problem, location, weight, observed_at,
                     author_hash, evidence, counted)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::real[], $8::timestamptz[], $9::text[], $10::jsonb[], $11::boolean[])
"""

UPSERT_COUNTS = """
INSERT INTO counts (service, bucket, kind, problem, n, weight, reporters)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::int[],
                     $6::float8[], $7::int[])
ON CONFLICT (service, bucket, kind, problem) DO UPDATE
SET n = counts.n + EXCLUDED.n,
    weight = counts.weight + EXCLUDED.weight,
    reporters = counts.reporters + EXCLUDED.reporters
"""

UPSERT_LOCATION_COUNTS = """
INSERT INTO location_counts (service, bucket, location, n)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::int[])
ON CONFLICT (service, bucket, location) DO UPDATE SET n = location_counts.n + EXCLUDED.n
"""

ENSURE_PARTITION = "SELECT downwatch_ensure_signal_partition($1::date)"


def bucket_of(at: datetime, bucket_seconds: int) -> datetime:
    """The start of the bucket holding ``at`` (UTC)."""
    if at.tzinfo is None:
        raise ValueError("signal times must be timezone-aware")
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % bucket_seconds, tz=UTC)


async def ensure_partitions(conn: asyncpg.Connection, days: Sequence[date]) -> None:
    for day in sorted(set(days)):
        await conn.fetchval(ENSURE_PARTITION, day)


@dataclass(frozen=True, slots=True)
class StoredSignals:
    new: frozenset[str] = frozenset()
    """external ids stored by this call (not stored before)."""
    counted: frozenset[str] = frozenset()
    """external ids among ``new`` that count (see ``downwatch.store.count_claims``)."""


ROLLED_UP_KINDS = frozenset({"report", "post"})
"""The kinds of signal a product's parent counts as its own."""
NO_PARENTS: Mapping[str, str] = {}


async def insert_signals(conn: asyncpg.Connection, signals: Sequence[Signal], *,
                         bucket_seconds: int = 60, not_before: datetime | None = None,
                         parents: Mapping[str, str] = NO_PARENTS) -> int:
    """Store the signals not stored before and add the counted ones to the counts; return how many
    were new (counted or not).

    Signals older than ``not_before`` (the retention horizon) are not stored.
    """
    stored = await store_signals(conn, signals, bucket_seconds=bucket_seconds, not_before=not_before,
                                 parents=parents)
    return len(stored.new)


async def store_signals(conn: asyncpg.Connection, signals: Sequence[Signal], *,
                        bucket_seconds: int = 60, not_before: datetime | None = None,
                        parents: Mapping[str, str] = NO_PARENTS) -> StoredSignals:
    """``insert_signals``, saying which signals were new and which of them count."""
    if not signals:
        return StoredSignals()
    if not conn.is_in_transaction():
        async with conn.transaction():
            return await store_signals(conn, signals, bucket_seconds=bucket_seconds, not_before=not_before,
                                       parents=parents)
    unique: dict[tuple[str, str], Signal] = {}
    for signal in signals:
        if not_before is None or signal.observed_at >= not_before:
            unique.setdefault((signal.source, signal.external_id), signal)
    if not unique:
        return StoredSignals()
    batch = sorted(unique.values(), key=lambda s: (s.source, s.external_id))
    rows = await conn.fetch(INSERT_KEYS, [s.source for s in batch], [s.external_id for s in batch],
                            [s.observed_at for s in batch])
    new_keys = {(r["source"], r["external_id"]) for r in rows}
    fresh = [s for s in batch if (s.source, s.external_id) in new_keys]
    if not fresh:
        return StoredSignals()
    judged = await judge(conn, fresh)
    await ensure_partitions(conn, [s.observed_at.astimezone(UTC).date() for s in fresh])
    await conn.execute(
        INSERT_SIGNALS,
        [s.source for s in fresh], [s.external_id for s in fresh], [s.service for s in fresh],
        [str(s.kind) for s in fresh], [str(s.problem) for s in fresh], [s.location for s in fresh],
        [s.weight for s in fresh], [s.observed_at for s in fresh], [s.author_hash for s in fresh],
        [s.evidence for s in fresh], [s.external_id in judged.counted for s in fresh])
    counted = [s for s in fresh if s.external_id in judged.counted]
    if counted:
        await _add_counts(conn, counted, bucket_seconds, judged.new_reporters, parents)
    return StoredSignals(frozenset(s.external_id for s in fresh), judged.counted)


async def _add_counts(conn: asyncpg.Connection, fresh: Sequence[Signal], bucket_seconds: int,
                      reporters: Set[str], parents: Mapping[str, str]) -> None:
    totals: dict[tuple[str, datetime, str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0])
    places: dict[tuple[str, datetime, str], int] = defaultdict(int)
    for s in fresh:
        bucket = bucket_of(s.observed_at, bucket_seconds)
        parent = parents.get(s.service) if str(s.kind) in ROLLED_UP_KINDS else None
        for service in (s.service,) if parent is None else (s.service, parent):
            total = totals[(service, bucket, str(s.kind), str(s.problem))]
            total[0] += 1
            total[1] += s.weight
            total[2] += 1 if s.external_id in reporters else 0
            if s.location:
                places[(service, bucket, s.location)] += 1
    keys = sorted(totals)
    await conn.execute(UPSERT_COUNTS, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
                       [k[3] for k in keys], [int(totals[k][0]) for k in keys],
                       [float(totals[k][1]) for k in keys], [int(totals[k][2]) for k in keys])
    if places:
        pkeys = sorted(places)
        await conn.execute(UPSERT_LOCATION_COUNTS, [k[0] for k in pkeys], [k[1] for k in pkeys],
                           [k[2] for k in pkeys], [places[k] for k in pkeys])


def partition_days_around(now: datetime, ahead: int = 1) -> list[date]:
    today = now.astimezone(UTC).date()
    return [today + timedelta(days=i) for i in range(ahead + 1)]
