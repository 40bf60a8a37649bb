"""Signals and stored counts as the detector's counts table (the layout documented in ``detector.frame``).

The store keeps two aggregate tables: ``counts`` (service, bucket, kind, problem, n, weight, reporters)
and ``location_counts`` (service, bucket, location, n). Their conventions, which the live ticker reads
the same way (``downwatch.runtime.ticker.observations_from_rows``):

* ``report``: ``n`` reports; ``post``: ``weight`` is the summed classifier confidence;
* ``probe``: ``n`` checks, ``weight`` the failed ones (a passed check is stored with weight 0);
* ``status``: ``n`` status-page readings, ``weight`` their summed indicator level (none 0, minor 1/3,
  major 2/3, critical 1).

``counts_from_signals`` aggregates a table of signals exactly as ingest does when it stores them, so
counts built in memory and counts read back from the store replay to the same verdicts; stored counts
of a parent service (``google``) already hold its products' reports and posts (``google-pay``:
``downwatch.store.signals``), a table of signals holds only what each service was named in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector.frame import parse_times, row_label, text_column
from downwatch.errors import InputError

STORE_COUNT_COLUMNS = ("service", "bucket", "kind", "problem", "n", "weight", "reporters")
LOCATION_COLUMNS = ("service", "bucket", "location", "n")
SIGNAL_KINDS = ("report", "post", "probe", "status")
INDICATORS = ("none", "minor", "major", "critical")


def bucket_text(buckets: pd.Series) -> pd.Series:
    return pd.to_datetime(buckets, utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def store_counts_to_frame(counts: pd.DataFrame, locations: pd.DataFrame | None = None) -> pd.DataFrame:
    """The store's ``counts`` (and ``location_counts``) rows as a replayable counts table."""
    missing = [c for c in STORE_COUNT_COLUMNS if c not in counts.columns]
    if missing:
        raise InputError(f"stored counts need columns {', '.join(STORE_COUNT_COLUMNS)}; "
                         f"missing {', '.join(missing)}")
    kind = counts["kind"].astype(str)
    n = counts["n"].astype(float)
    weight = counts["weight"].astype(float)
    is_probe, is_status = kind == "probe", kind == "status"
    level = np.clip(np.round(3 * weight / n.where(n > 0, 1.0)), 0, 3).astype(int)
    frame = pd.DataFrame({
        "service": counts["service"].astype(str),
        "bucket": bucket_text(counts["bucket"]),
        "kind": kind,
        "problem": counts["problem"].astype(str),
        "count": np.where(is_probe, weight, n),
        "weight": weight,
        "reporters": counts["reporters"].astype(float),
        "location": "",
        "checks": n,
        "indicator": np.where(is_status, np.array(INDICATORS, dtype=object)[level], ""),
    })
    if locations is None or locations.empty:
        return frame.reset_index(drop=True)
    places = pd.DataFrame({
        "service": locations["service"].astype(str), "bucket": bucket_text(locations["bucket"]),
        "kind": "location", "problem": "other", "count": locations["n"].astype(float),
        "weight": locations["n"].astype(float), "reporters": np.nan,
        "location": locations["location"].astype(str), "checks": locations["n"].astype(float),
        "indicator": "",
    })
    return pd.concat([frame, places], ignore_index=True)


def signals_to_store_counts(signals: pd.DataFrame,
                            bucket_seconds: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Signals aggregated as ingest stores them: the ``counts`` and ``location_counts`` rows.

    Columns: ``observed_at`` (required), ``service`` (required), ``kind`` (default ``report``),
    ``problem`` (default ``other``), ``weight`` (default 1), ``location``, ``author_hash``. A bucket's
    ``reporters`` are its distinct author hashes, plus one per report or post that has none (ingest
    gives every report and post an author; a CSV of report times has none, and each is its own reporter).
    """
    for column in ("service", "observed_at"):
        if column not in signals.columns:
            raise InputError(f"signals need a {column!r} column; got {', '.join(map(str, signals.columns))}")
    if signals.empty:
        raise InputError("the signals table is empty: nothing to count")
    frame = signals.reset_index(drop=True)
    service = frame["service"].astype("string").str.strip()
    empty = np.flatnonzero((service.isna() | (service == "")).to_numpy())
    if empty.size:
        raise InputError(f"{row_label(int(empty[0]))}: service is empty")
    kind = text_column(frame, "kind", "report").str.lower()
    bad = np.flatnonzero((~kind.isin(SIGNAL_KINDS)).to_numpy())
    if bad.size:
        raise InputError(f"{row_label(int(bad[0]))}: kind {kind.iloc[bad[0]]!r} is not one of "
                         f"{', '.join(SIGNAL_KINDS)}")
    weight = pd.to_numeric(frame["weight"], errors="coerce") if "weight" in frame.columns \
        else pd.Series(1.0, index=frame.index)
    bad = np.flatnonzero((weight.isna() | (weight < 0)).to_numpy())
    if bad.size:
        raise InputError(f"{row_label(int(bad[0]))}: weight {frame['weight'].iloc[bad[0]]!r} is not a "
                         "number >= 0")
    author = text_column(frame, "author_hash", "")
    rows = pd.DataFrame({
        "service": service.astype(str),
        "bucket": parse_times(frame["observed_at"], "observed_at").dt.floor(f"{bucket_seconds}s"),
        "kind": kind, "problem": text_column(frame, "problem", "other"), "weight": weight.astype(float),
        "author": author, "anonymous": ((author == "") & kind.isin(["report", "post"])).astype(int),
    })
    keys = ["service", "bucket", "kind", "problem"]
    grouped = rows.groupby(keys, sort=True)
    counts = grouped.agg(n=("weight", "size"), weight=("weight", "sum"), anonymous=("anonymous", "sum"))
    named = rows[rows["author"] != ""].groupby(keys)["author"].nunique()
    counts["reporters"] = counts["anonymous"] + named.reindex(counts.index).fillna(0).astype(int)
    counts = counts.drop(columns="anonymous").reset_index()
    location = text_column(frame, "location", "")
    placed = rows.assign(location=location)[location != ""]
    places = placed.groupby(["service", "bucket", "location"]).size().rename("n").reset_index()
    return counts[list(STORE_COUNT_COLUMNS)], places[list(LOCATION_COLUMNS)]


def counts_from_signals(signals: pd.DataFrame, bucket_seconds: int = 60) -> pd.DataFrame:
    """A replayable counts table from signals (one row each), aggregated as the store does."""
    counts, places = signals_to_store_counts(signals, bucket_seconds)
    return store_counts_to_frame(counts, places)


def counts_from_timestamps(timestamps: pd.DataFrame | pd.Series, service: str, *,
                           time_column: str = "timestamp", bucket_seconds: int = 60) -> pd.DataFrame:
    """Counts from a table of report times for one service (optional ``problem``/``location`` columns).

    Every row is one user report; a table with a ``kind`` column may mix reports and posts.
    """
    table = timestamps.to_frame(name=time_column) if isinstance(timestamps, pd.Series) else timestamps
    if time_column not in table.columns:
        raise InputError(f"no {time_column!r} column; the columns are {', '.join(map(str, table.columns))}")
    if not service.strip():
        raise InputError("service must be a non-empty name")
    signals = table.rename(columns={time_column: "observed_at"}).assign(service=service.strip())
    return counts_from_signals(signals, bucket_seconds)
