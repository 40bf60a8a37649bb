"""Replay a history of counts through the live detector's code, bucket by bucket, for research.

    from detector.replay import replay
    result = replay(counts_df)                     # the counts layout of detector.frame
    result.timeline   # bucket, service, status, observed, expected, score, confidence (one row per both)
    result.incidents  # id, service, status, severity, started_at, detected_at, peak_at, peak_count,
                      # ended_at, problems, locations
    replay(counts_df, warmup_days=0.5, cusum_degraded=8)   # any DetectorSettings field as a keyword

Every service advances in lockstep through ``Engine.step``, exactly as the live driver does, so the
verdicts are the ones the live service would have given (nothing looks ahead).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detector.codes import STATUS_BY_CODE
from detector.engine import Engine
from detector.frame import ReplayInput, check_counts, to_arrays
from detector.incidents import Incident, IncidentBook, with_evidence
from detector.settings import DetectorSettings, detector_settings
from detector.state import DetectorState

TIMELINE_COLUMNS = ("bucket", "service", "status", "observed", "expected", "score", "confidence")
INCIDENT_COLUMNS = ("id", "service", "status", "severity", "started_at", "detected_at", "peak_at",
                    "peak_count", "ended_at", "problems", "locations")


@dataclass(frozen=True, slots=True)
class ReplayResult:
    timeline: pd.DataFrame
    incidents: pd.DataFrame
    incident_records: list[Incident]
    state: DetectorState
    services: list[str]


def replay(counts: pd.DataFrame, *, priors: Mapping[str, float] | None = None,
           stale_after_buckets: int | None = None, keep_timeline: bool = True,
           **settings: Any) -> ReplayResult:
    """Verdict timeline and incidents for a history of counts (see ``detector.frame`` for the layout).

    ``priors``: expected reports + posts per day for services with no history yet (default
    ``prior_per_day``). ``stale_after_buckets``: treat a source that delivered nothing for any service
    for this many buckets as stopped (default: never). ``settings``: ``DetectorSettings`` fields.
    """
    chosen = detector_settings(**settings)
    checked = check_counts(counts, chosen.bucket_seconds)
    history = to_arrays(checked, chosen.bucket_seconds, stale_after_buckets)
    return replay_arrays(history, chosen, priors=priors, keep_timeline=keep_timeline)


def replay_arrays(history: ReplayInput, settings: DetectorSettings, *,
                  priors: Mapping[str, float] | None = None, keep_timeline: bool = True) -> ReplayResult:
    services = history.services
    prior = None if priors is None else np.array([priors.get(s, settings.prior_per_day) for s in services])
    engine = Engine(settings)
    state = DetectorState.new(len(services), settings, prior)
    book = IncidentBook(services)
    steps = len(history.buckets)
    shape = (steps, len(services))
    columns = {name: np.empty(shape) for name in ("observed", "expected", "score", "status", "confidence")} \
        if keep_timeline else {}
    closed_at: dict[int, int] = {}
    evidence_from: dict[int, float] = {}
    for t in range(steps):
        bucket = int(history.buckets[t])
        out = engine.step(state, history.at(t), bucket, with_confidence=keep_timeline)
        if out.changed.size:
            for incident in book.record(state, out.changed, out.alarm_before):
                closed_at[incident.id] = bucket
            for i in out.changed.tolist():
                opened = book.open.get(i)
                if opened is not None and out.alarm_before[i] == 0:
                    evidence_from[opened.id] = opened.evidence_from
        if keep_timeline:
            columns["observed"][t], columns["expected"][t], columns["score"][t] = (
                out.observed, out.expected, out.score)
            columns["status"][t] = out.status
            assert out.confidence is not None
            columns["confidence"][t] = out.confidence
    end = int(history.buckets[-1]) + settings.bucket_seconds
    records = book.closed + book.active(state)
    records = [_add_evidence(r, history.evidence, evidence_from[r.id], closed_at.get(r.id, end))
               for r in records]
    records.sort(key=lambda r: (r.detected_at, r.service))
    timeline = _timeline(history, columns, services) if keep_timeline else pd.DataFrame(
        columns=list(TIMELINE_COLUMNS))
    return ReplayResult(timeline=timeline, incidents=incidents_frame(records), incident_records=records,
                        state=state, services=services)


def _add_evidence(incident: Incident, evidence: pd.DataFrame, evidence_from: float,
                  closed_bucket: int) -> Incident:
    """Problems and locations from ``evidence_from`` (the onset, when the alarm opened inside a CUSUM
    run; else the detection) up to (not including) the closing bucket."""
    if evidence.empty:
        return incident
    start = pd.Timestamp(evidence_from, unit="s", tz="UTC")
    stop = pd.Timestamp(closed_bucket, unit="s", tz="UTC")
    rows = evidence[(evidence["service"] == incident.service) & (evidence["bucket"] >= start)
                    & (evidence["bucket"] < stop)]
    totals = rows.groupby(["what", "name"])["amount"].sum()
    problems = totals.get("problem", pd.Series(dtype=float))
    locations = totals.get("location", pd.Series(dtype=float))
    return with_evidence(incident, {str(k): float(v) for k, v in problems.items()},
                         {str(k): float(v) for k, v in locations.items() if k})


def _timeline(history: ReplayInput, columns: dict[str, np.ndarray], services: list[str]) -> pd.DataFrame:
    steps, n = columns["observed"].shape
    codes = columns["status"].astype(np.int64).ravel()
    names = np.array([STATUS_BY_CODE[c].value for c in sorted(STATUS_BY_CODE)], dtype=object)
    return pd.DataFrame({
        "bucket": pd.to_datetime(np.repeat(history.buckets, n), unit="s", utc=True),
        "service": np.tile(np.array(services, dtype=object), steps),
        "status": names[codes],
        "observed": columns["observed"].ravel(), "expected": columns["expected"].ravel(),
        "score": columns["score"].ravel(), "confidence": columns["confidence"].ravel(),
    })


def incidents_frame(records: list[Incident]) -> pd.DataFrame:
    rows = [{**r.to_dict(), "started_at": r.started_at, "detected_at": r.detected_at, "peak_at": r.peak_at,
             "ended_at": r.ended_at} for r in records]
    return pd.DataFrame(rows, columns=list(INCIDENT_COLUMNS))


__all__ = ["TIMELINE_COLUMNS", "DetectorSettings", "ReplayResult", "incidents_frame", "replay",
           "replay_arrays"]
