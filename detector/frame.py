"""The long table of counts a replay reads, checked, and turned into per-bucket arrays.

Layout: one row per service, bucket, kind and problem (the store's ``counts`` table, or a CSV):

| column    | required | meaning |
| --------- | -------- | ------- |
| service   | yes      | the service slug |
| bucket    | yes      | bucket start, ISO 8601 (no zone: UTC); a time inside a bucket floors to its start |
| kind      | yes      | ``report``, ``post``, ``probe``, ``status`` or ``location`` |
| count     | yes      | number of signals (for ``probe``: failed checks; ``location``: reports from there) |
| problem   | no       | problem category (default ``other``) |
| weight    | no       | summed classifier confidence (``post`` evidence is this weight; default = count) |
| reporters | no       | distinct reporters behind the row (default: one per signal) |
| location  | no       | the place, on ``location`` rows (the store's ``location_counts``) |
| checks    | no       | probe checks made in the bucket (default: = count, i.e. every check failed) |
| indicator | no       | official status on ``status`` rows: none, minor, major, critical, maintenance |

Rules: rows are summed per (service, bucket, kind, problem), so duplicates add up and order does not
matter; a bucket with no rows had nothing (zero counts); reporters are summed over a bucket's rows
(an upper bound on distinct reporters when one person reports two problems). A ``status`` row
without ``indicator`` means the status page shows a ``minor`` incident in that bucket; once a service
has had status rows, a bucket without one means ``none``. Negative or non-numeric counts, unknown
kinds and unreadable times are refused with an ``InputError`` naming the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.codes import NO_OFFICIAL, OFFICIAL_CODES, OFFICIAL_MINOR, OFFICIAL_NONE
from detector.inputs import SOURCE_KINDS, BucketArrays, resolve_reporters
from downwatch.errors import InputError

REQUIRED = ("service", "bucket", "kind", "count")
KINDS = ("report", "post", "probe", "status", "location")
MAX_CELLS = 400_000_000


@dataclass(slots=True)
class ReplayInput:
    """A history as dense arrays, time on the first axis and services on the last."""

    services: list[str]
    buckets: np.ndarray
    """Bucket starts, epoch seconds (int64)."""
    reports: np.ndarray
    posts: np.ndarray
    reporters: np.ndarray
    probe_failed: np.ndarray | None
    probe_checks: np.ndarray | None
    official: np.ndarray | None
    alive: np.ndarray | None
    """(T, 4) booleans per source kind (``SOURCE_KINDS``), or ``None`` when every source is alive."""
    evidence: pd.DataFrame
    """Problem and location rows (service, bucket, what, name, amount) for incident breakdowns."""

    def at(self, t: int) -> BucketArrays:
        alive = None
        if self.alive is not None and not self.alive[t].all():
            alive = np.repeat(self.alive[t][:, None], len(self.services), axis=1)
        return BucketArrays(
            reports=self.reports[t], posts=self.posts[t], reporters=self.reporters[t],
            probe_failed=None if self.probe_failed is None else self.probe_failed[t],
            probe_checks=None if self.probe_checks is None else self.probe_checks[t],
            official=None if self.official is None else self.official[t], alive=alive)


def row_label(position: int) -> str:
    return f"row {position + 1}"


def parse_times(values: pd.Series, column: str) -> pd.Series:
    """UTC timestamps; a naive time is taken as UTC; an unreadable one is refused naming its row."""
    text = values.astype("string")
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise InputError(f"{row_label(int(bad[0]))}: {column} {text.iloc[bad[0]]!r} is not an ISO 8601 time")
    return parsed


def numbers(frame: pd.DataFrame, column: str, default: pd.Series | float | None) -> pd.Series:
    """A non-negative numeric column (blank cells take ``default``), refusing anything else by row."""
    if column not in frame.columns:
        if default is None:
            raise InputError(f"missing column {column!r}")
        if isinstance(default, pd.Series):
            return default
        return pd.Series(default, index=frame.index, dtype=float)
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    blank = raw.isna() | (raw.astype("string").str.strip() == "")
    bad = np.flatnonzero((values.isna() & ~blank).to_numpy() | ~np.isfinite(values.fillna(0.0).to_numpy()))
    if bad.size:
        raise InputError(f"{row_label(int(bad[0]))}: {column} {raw.iloc[bad[0]]!r} is not a number")
    negative = np.flatnonzero((values < 0).to_numpy())
    if negative.size:
        raise InputError(f"{row_label(int(negative[0]))}: {column} {values.iloc[negative[0]]:g} is negative")
    if blank.any():
        if default is None:
            raise InputError(f"{row_label(int(np.flatnonzero(blank.to_numpy())[0]))}: {column} is empty")
        fill = default if isinstance(default, pd.Series) else pd.Series(default, index=frame.index)
        values = values.where(~blank, fill)
    return values


def check_counts(frame: pd.DataFrame, bucket_seconds: int) -> pd.DataFrame:
    """The counts table validated and normalised (columns of ``frame.py``'s layout, all filled)."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"counts need columns {', '.join(REQUIRED)}; missing {', '.join(missing)}")
    frame = frame.reset_index(drop=True)
    service = frame["service"].astype("string").str.strip()
    empty = np.flatnonzero((service.isna() | (service == "")).to_numpy())
    if empty.size:
        raise InputError(f"{row_label(int(empty[0]))}: service is empty")
    kind = frame["kind"].astype("string").str.strip().str.lower()
    bad_kind = np.flatnonzero((~kind.isin(KINDS)).fillna(True).to_numpy())
    if bad_kind.size:
        given = frame["kind"].iloc[bad_kind[0]]
        raise InputError(f"{row_label(int(bad_kind[0]))}: kind {given!r} is not one of {', '.join(KINDS)}")
    bucket = parse_times(frame["bucket"], "bucket").dt.floor(f"{bucket_seconds}s")
    count = numbers(frame, "count", None)
    out = pd.DataFrame({
        "service": service.astype(str), "bucket": bucket, "kind": kind.astype(str), "count": count,
        "problem": text_column(frame, "problem", "other"), "weight": numbers(frame, "weight", count),
        "reporters": numbers(frame, "reporters", np.nan), "location": text_column(frame, "location", ""),
        "checks": numbers(frame, "checks", count), "indicator": _indicator(frame, kind),
    })
    return out


def text_column(frame: pd.DataFrame, column: str, default: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(default, index=frame.index, dtype=object)
    values = frame[column].astype("string").str.strip().fillna(default)
    return values.where(values != "", default).astype(str)


def _indicator(frame: pd.DataFrame, kind: pd.Series) -> pd.Series:
    codes = pd.Series(OFFICIAL_MINOR, index=frame.index, dtype=np.int64)
    if "indicator" not in frame.columns:
        return codes
    text = frame["indicator"].astype("string").str.strip().str.lower()
    given = text.notna() & (text != "") & (kind == "status")
    unknown = np.flatnonzero((given & ~text.isin(list(OFFICIAL_CODES))).fillna(False).to_numpy())
    if unknown.size:
        raise InputError(f"{row_label(int(unknown[0]))}: indicator {text.iloc[unknown[0]]!r} is not one of "
                         f"{', '.join(OFFICIAL_CODES)}")
    mapped = text.map(OFFICIAL_CODES)
    return codes.where(~given, mapped).astype(np.int64)


def to_arrays(counts: pd.DataFrame, bucket_seconds: int, stale_after_buckets: int | None = None,
              services: Sequence[str] | None = None) -> ReplayInput:
    """Dense per-bucket arrays over every bucket from the first to the last row (gaps are zeros)."""
    if counts.empty:
        raise InputError("the history is empty: no rows to replay")
    names = sorted(counts["service"].unique()) if services is None else list(services)
    position = {s: i for i, s in enumerate(names)}
    start = int(counts["bucket"].min().timestamp())
    end = int(counts["bucket"].max().timestamp())
    steps = (end - start) // bucket_seconds + 1
    if steps * len(names) > MAX_CELLS:
        raise InputError(f"{steps} buckets x {len(names)} services is too large for one replay; "
                         "split it by service or time")
    buckets = start + bucket_seconds * np.arange(steps, dtype=np.int64)
    t = ((counts["bucket"].map(lambda b: int(b.timestamp())).to_numpy(np.int64) - start) // bucket_seconds)
    s = counts["service"].map(position).to_numpy()
    if np.isnan(s.astype(float)).any():
        raise InputError("the history names services outside the given service list")
    s = s.astype(np.int64)
    kind = counts["kind"].to_numpy()
    shape = (steps, len(names))

    def dense(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        grid = np.zeros(shape)
        np.add.at(grid, (t[mask], s[mask]), values[mask])
        return grid

    count, weight = counts["count"].to_numpy(float), counts["weight"].to_numpy(float)
    is_report, is_post = kind == "report", kind == "post"
    reports, posts = dense(is_report, count), dense(is_post, weight)
    crowd = is_report | is_post
    rep_values = counts["reporters"].to_numpy(float)
    known = crowd & ~np.isnan(rep_values)
    reporters = dense(known, np.nan_to_num(rep_values))
    unknown_rep = dense(crowd & np.isnan(rep_values), np.where(is_report, count, np.ceil(weight)))
    has_known = dense(known, np.ones_like(count)) > 0
    reporters = np.where(has_known, reporters + unknown_rep, np.nan)
    reporters = resolve_reporters(reports, posts, reporters)
    is_probe = kind == "probe"
    probe_failed = dense(is_probe, count) if is_probe.any() else None
    probe_checks = dense(is_probe, counts["checks"].to_numpy(float)) if is_probe.any() else None
    official = _official(counts, t, s, shape) if (kind == "status").any() else None
    alive = _alive(kind, t, steps, stale_after_buckets)
    return ReplayInput(services=names, buckets=buckets, reports=reports, posts=posts, reporters=reporters,
                       probe_failed=probe_failed, probe_checks=probe_checks, official=official,
                       alive=alive, evidence=_evidence(counts))


def _official(counts: pd.DataFrame, t: np.ndarray, s: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Indicator per bucket: the worst status row, ``none`` between rows, ``NO_OFFICIAL`` before the first."""
    status = (counts["kind"] == "status").to_numpy() & (counts["count"].to_numpy() > 0)
    grid = np.full(shape, NO_OFFICIAL, dtype=np.int64)
    np.maximum.at(grid, (t[status], s[status]), counts["indicator"].to_numpy()[status])
    seen = np.maximum.accumulate(grid > NO_OFFICIAL, axis=0)
    return np.where(seen & (grid == NO_OFFICIAL), OFFICIAL_NONE, grid)


def _alive(kind: np.ndarray, t: np.ndarray, steps: int, stale_after: int | None) -> np.ndarray | None:
    """A source is stale once it delivered nothing for any service for ``stale_after`` buckets."""
    if stale_after is None:
        return None
    alive = np.ones((steps, len(SOURCE_KINDS)), dtype=bool)
    index = np.arange(steps)
    for k, source in enumerate(SOURCE_KINDS):
        delivered = np.zeros(steps, dtype=bool)
        delivered[t[kind == source.value]] = True
        last = np.maximum.accumulate(np.where(delivered, index, -1))
        alive[:, k] = (last < 0) | (index - last < stale_after)
    return None if alive.all() else alive


def _evidence(counts: pd.DataFrame) -> pd.DataFrame:
    crowd = counts[counts["kind"].isin(["report", "post"])]
    amount = np.where(crowd["kind"] == "post", crowd["weight"], crowd["count"])
    problems = pd.DataFrame({"service": crowd["service"], "bucket": crowd["bucket"], "what": "problem",
                             "name": crowd["problem"], "amount": amount})
    places = counts[counts["kind"] == "location"]
    locations = pd.DataFrame({"service": places["service"], "bucket": places["bucket"], "what": "location",
                              "name": places["location"], "amount": places["count"]})
    return pd.concat([problems, locations], ignore_index=True)
