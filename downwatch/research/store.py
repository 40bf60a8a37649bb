"""One-call, synchronous loaders from the store into pandas (they work inside a running notebook too)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeAlias, TypeVar

import asyncpg
import pandas as pd

from downwatch.errors import InputError, StoreUnavailable
from downwatch.research.frames import LOCATION_COLUMNS, STORE_COUNT_COLUMNS, store_counts_to_frame
from downwatch.store.pool import connect, describe_dsn
from downwatch.store.research_queries import read_counts_window, read_signals_window

T = TypeVar("T")
Services: TypeAlias = str | Sequence[str] | None
Moment: TypeAlias = datetime | str | pd.Timestamp | None
SIGNAL_COLUMNS = ("source", "external_id", "service", "kind", "problem", "location", "weight",
                  "observed_at", "author_hash")


def run_sync(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion, in a helper thread when an event loop already runs here (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_as_coroutine(work))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _as_coroutine(work)).result()


async def _as_coroutine(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


def as_utc(moment: Moment, name: str) -> datetime | None:
    """A time given as datetime, Timestamp or ISO 8601 text, in UTC (naive means UTC)."""
    if moment is None:
        return None
    try:
        stamp = pd.Timestamp(moment)
    except (ValueError, TypeError):
        raise InputError(f"{name} {moment!r} is not an ISO 8601 time") from None
    if pd.isna(stamp):
        raise InputError(f"{name} {moment!r} is not a time")
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return stamp.to_pydatetime()


def service_list(service: Services) -> list[str] | None:
    if service is None:
        return None
    return [service] if isinstance(service, str) else list(service)


def window(start: Moment, end: Moment) -> tuple[datetime | None, datetime | None]:
    lo, hi = as_utc(start, "start"), as_utc(end, "end")
    if lo is not None and hi is not None and lo >= hi:
        raise InputError(f"start {lo.isoformat()} is not before end {hi.isoformat()}")
    return lo, hi


async def _query(dsn: str, fetch: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    conn = await connect(dsn)
    try:
        return await fetch(conn)
    except asyncpg.UndefinedTableError as exc:
        raise StoreUnavailable(f"{describe_dsn(dsn)} has no downwatch tables ({exc}); "
                               "run 'downwatch db upgrade' or point at the right database") from exc
    finally:
        await conn.close()


def load_store_counts(dsn: str, service: Services = None, start: Moment = None,
                      end: Moment = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw ``counts`` and ``location_counts`` rows of [start, end), as stored."""
    lo, hi = window(start, end)
    names = service_list(service)
    counts, places = run_sync(lambda: _query(dsn, lambda c: read_counts_window(c, names, lo, hi)))
    return (pd.DataFrame([dict(r) for r in counts], columns=list(STORE_COUNT_COLUMNS)),
            pd.DataFrame([dict(r) for r in places], columns=list(LOCATION_COLUMNS)))


def load_counts(dsn: str, service: Services = None, start: Moment = None, end: Moment = None) -> pd.DataFrame:
    """Counts of one service (or a list, or all) for buckets in [start, end), ready for ``replay``."""
    counts, places = load_store_counts(dsn, service, start, end)
    if counts.empty and places.empty:
        return pd.DataFrame(columns=["service", "bucket", "kind", "problem", "count", "weight",
                                     "reporters", "location", "checks", "indicator"])
    return store_counts_to_frame(counts, places)


def load_signals(dsn: str, service: Services = None, start: Moment = None, end: Moment = None, *,
                 with_evidence: bool = False) -> pd.DataFrame:
    """Signals (one row per stored report, post, probe check or status reading) observed in [start, end).

    Author ids are keyed hashes (``author_hash``); ``evidence`` (the source's own fields, e.g. a post's
    URL) is included only when asked for.
    """
    lo, hi = window(start, end)
    names = service_list(service)
    rows = run_sync(lambda: _query(dsn, lambda c: read_signals_window(c, names, lo, hi,
                                                                      with_evidence=with_evidence)))
    columns = [*SIGNAL_COLUMNS, "evidence"] if with_evidence else list(SIGNAL_COLUMNS)
    frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True)
    return frame
