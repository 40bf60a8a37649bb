"""Reading a replay: the verdict changes, and when each kind of evidence alone would have raised the alarm."""

from __future__ import annotations

from typing import Any

import pandas as pd

from downwatch.research.replay import replay

SOURCE_KINDS = ("report", "post", "probe", "status")


def verdict_changes(timeline: pd.DataFrame, service: str) -> pd.DataFrame:
    """The buckets where ``service``'s status changed: bucket, from_status, to_status, observed, expected."""
    rows = timeline[timeline["service"] == service].sort_values("bucket")
    previous = rows["status"].shift(1)
    changed = rows[rows["status"] != previous]
    return pd.DataFrame({
        "bucket": changed["bucket"].to_numpy(), "from_status": previous[changed.index].fillna("").to_numpy(),
        "to_status": changed["status"].to_numpy(), "observed": changed["observed"].to_numpy(),
        "expected": changed["expected"].to_numpy(), "score": changed["score"].to_numpy(),
    })


LEVELS = {"minor": 1.0, "major": 2.0, "critical": 3.0}


def failure_amounts(counts: pd.DataFrame, service: str) -> pd.DataFrame:
    """Per bucket (rows) and kind (columns), how much failure ``service`` showed: reports, post weight,
    failed probe checks, and the status page's level (0 none, 1 minor, 2 major, 3 critical)."""
    rows = counts[counts["service"] == service]
    amount = pd.to_numeric(rows["count"], errors="coerce").fillna(0.0)
    if "weight" in rows.columns:
        weight = pd.to_numeric(rows["weight"], errors="coerce")
        amount = amount.where(rows["kind"] != "post", weight.fillna(amount))
    if "indicator" in rows.columns:
        level = rows["indicator"].astype(str).map(LEVELS).fillna(0.0)
        amount = amount.where(rows["kind"] != "status", level)
    table = pd.DataFrame({"bucket": pd.to_datetime(rows["bucket"], utc=True, format="ISO8601"),
                          "kind": rows["kind"], "amount": amount})
    table = table[table["kind"].isin(SOURCE_KINDS)]
    wide = table.pivot_table(index="bucket", columns="kind", values="amount", aggfunc="sum", fill_value=0.0)
    return wide.reindex(columns=list(SOURCE_KINDS), fill_value=0.0)


def first_above_normal(counts: pd.DataFrame, service: str, since: pd.Timestamp | str) -> pd.Series:
    """Per kind, the first bucket from ``since`` that showed more failure than any bucket before it.

    Reports and posts: more than the busiest bucket before ``since``; probes: failed checks where none
    failed before; status page: a worse indicator than before (NaT: that source never showed it).
    """
    amounts = failure_amounts(counts, service)
    start = pd.Timestamp(since)
    before, after = amounts[amounts.index < start], amounts[amounts.index >= start]
    found = {}
    for kind in SOURCE_KINDS:
        ceiling = before[kind].max() if not before.empty else 0.0
        hits = after.index[after[kind] > ceiling]
        found[kind] = hits.min() if len(hits) else pd.NaT
    return pd.Series(found, name="first_above_normal")


def first_alarm_by_source(counts: pd.DataFrame, service: str, since: pd.Timestamp | str,
                          **settings: Any) -> pd.DataFrame:
    """When each kind of evidence alone (and all together) made the detector raise an alarm for ``service``.

    Each kind is replayed on its own through the same detector; ``first_alarm`` is the detection time of
    the first incident from ``since`` (NaT: that source alone never raised one); ``first_above_normal``
    is when that kind first looked unusual at all (see ``first_above_normal``).
    """
    own = counts[counts["service"] == service]
    start = pd.Timestamp(since)
    unusual = first_above_normal(own, service, start)
    rows = []
    for kind in (*SOURCE_KINDS, "all"):
        subset = own if kind == "all" else own[own["kind"] == kind]
        alarm = pd.NaT
        if not subset.empty:
            incidents = replay(subset, progress=False, **settings).incidents
            detected = pd.to_datetime(incidents["detected_at"], utc=True)
            later = detected[detected >= start]
            alarm = later.min() if not later.empty else pd.NaT
        first = unusual.min() if kind == "all" else unusual[kind]
        delay = (alarm - start).total_seconds() / 60 if pd.notna(alarm) else None
        rows.append({"source": kind, "first_above_normal": first, "first_alarm": alarm,
                     "alarm_minutes_after_onset": delay})
    return pd.DataFrame(rows)
