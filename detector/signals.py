"""A table of signals (one row per report, post, probe failure or status incident) turned into counts.

Columns: ``service``, ``kind``, ``observed_at`` (required); ``problem``, ``location``, ``weight``
(default 1), ``author_hash`` (optional). Each signal falls in the bucket its time floors to; a
bucket's reporters are its distinct ``author_hash`` values, a signal without one counting as its own
reporter. The result has the counts layout of ``detector.frame``.
"""

from __future__ import annotations

import pandas as pd

from detector.frame import KINDS, numbers, parse_times, row_label, text_column
from downwatch.errors import InputError

REQUIRED = ("service", "kind", "observed_at")


def signals_to_counts(signals: pd.DataFrame, bucket_seconds: int) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in signals.columns]
    if missing:
        raise InputError(f"signals need columns {', '.join(REQUIRED)}; missing {', '.join(missing)}")
    if signals.empty:
        raise InputError("the history is empty: no signals to replay")
    frame = signals.reset_index(drop=True)
    kind = frame["kind"].astype("string").str.strip().str.lower()
    signal_kinds = [k for k in KINDS if k != "location"]
    bad = (~kind.isin(signal_kinds)).fillna(True).to_numpy().nonzero()[0]
    if bad.size:
        raise InputError(f"{row_label(int(bad[0]))}: kind {frame['kind'].iloc[bad[0]]!r} is not one of "
                         f"{', '.join(signal_kinds)}")
    service = frame["service"].astype("string").str.strip()
    empty = (service.isna() | (service == "")).to_numpy().nonzero()[0]
    if empty.size:
        raise InputError(f"{row_label(int(empty[0]))}: service is empty")
    bucket = parse_times(frame["observed_at"], "observed_at").dt.floor(f"{bucket_seconds}s")
    weight = numbers(frame, "weight", 1.0)
    problem = text_column(frame, "problem", "other")
    author = frame["author_hash"].astype("string") if "author_hash" in frame.columns else None
    rows = pd.DataFrame({"service": service.astype(str), "bucket": bucket, "kind": kind.astype(str),
                         "problem": problem, "weight": weight, "one": 1.0})
    rows["author"] = author.fillna("").to_numpy() if author is not None else ""
    rows["anonymous"] = (rows["author"] == "").astype(float)
    keys = ["service", "bucket", "kind", "problem"]
    grouped = rows.groupby(keys, sort=True)
    counts = grouped.agg(count=("one", "sum"), weight=("weight", "sum"), anonymous=("anonymous", "sum"))
    named = rows[rows["author"] != ""].groupby(keys)["author"].nunique()
    counts["reporters"] = counts["anonymous"] + named.reindex(counts.index).fillna(0.0)
    counts = counts.drop(columns="anonymous").reset_index()
    located = frame["location"].astype("string").str.strip() if "location" in frame.columns else None
    if located is not None:
        has_place = (located.notna() & (located != "")).to_numpy()
        places = pd.DataFrame({"service": rows["service"][has_place], "bucket": rows["bucket"][has_place],
                               "location": located[has_place].astype(str)})
        place_counts = places.groupby(["service", "bucket", "location"]).size().rename("count").reset_index()
        place_counts["kind"] = "location"
        counts = pd.concat([counts, place_counts], ignore_index=True)
    counts["bucket"] = counts["bucket"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return counts

