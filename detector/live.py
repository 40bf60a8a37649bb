"""The live driver: the latest bucket of every service, one tick at a time, through ``Engine.step``.

    detector = LiveDetector(["bt", "sky"])
    tick = detector.update(bucket_start, {"bt": BucketObservation("bt", bucket_start, reports=12, ...)})
    detector.verdict("bt").to_dict()      # the verdict JSON
    blob = detector.state_bytes("bt")     # persist; LiveDetector.load_state("bt", blob) after a restart

Buckets must arrive in order; a bucket with no data for a service is fed as an empty observation
(or no observation at all), so the caller feeds every bucket, gaps included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from detector.codes import STATUS_BY_CODE
from detector.engine import Engine, StepOutput
from detector.incidents import Evidence, Incident, IncidentBook, OpenIncident, at, iso
from detector.inputs import BucketArrays, BucketObservation
from detector.settings import DetectorSettings
from detector.state import DetectorState
from detector.verdict import Verdict, VerdictInputs, build_verdict, quiet_key, shown_cells
from downwatch.errors import InputError


@dataclass(frozen=True, slots=True)
class Tick:
    """What one bucket changed: verdicts whose status moved, incidents opened and closed."""

    bucket: datetime
    changed: list[str]
    opened: list[Incident]
    closed: list[Incident]


@dataclass(frozen=True, slots=True)
class TimelineRow:
    service: str
    bucket: datetime
    observed: float
    expected: float
    score: float
    status: str


@dataclass(frozen=True, slots=True)
class QuietSnapshot:
    """Per service (rows in order): the values ``quiet_key`` reads as they are (``exact``), the
    rounding cells of the ones it rounds (``cells``), and whether the row can vouch for its key
    (``vouches``: no observation, every rounded value far from its cell's edge)."""

    exact: np.ndarray
    cells: np.ndarray
    vouches: np.ndarray

    def same_keys(self, before: QuietSnapshot) -> np.ndarray:
        """Rows whose ``quiet_key`` is surely the same as in ``before`` (False where unsure)."""
        if before.exact.shape != self.exact.shape:
            return np.zeros(len(self.exact), dtype=bool)
        exact = (self.exact == before.exact) | (np.isnan(self.exact) & np.isnan(before.exact))
        return (self.vouches & before.vouches & exact.all(axis=1)
                & (self.cells == before.cells).all(axis=1))


def epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise InputError(f"bucket {moment.isoformat()} has no time zone; give UTC times")
    return int(moment.timestamp())


class LiveDetector:
    """Verdicts and incidents for a fixed list of services, updated one bucket at a time."""

    def __init__(self, services: Sequence[str], settings: DetectorSettings | None = None,
                 prior_per_day: Sequence[float] | None = None) -> None:
        if len(set(services)) != len(services):
            raise InputError("services must be unique")
        self.settings = settings or DetectorSettings()
        self.engine = Engine(self.settings)
        self.services = list(services)
        self.index = {s: i for i, s in enumerate(self.services)}
        prior = None if prior_per_day is None else np.asarray(prior_per_day, dtype=float)
        self.state = DetectorState.new(len(self.services), self.settings, prior)
        self.book = IncidentBook(self.services)
        self.last: StepOutput | None = None
        self.last_bucket: int | None = None
        self.observations: dict[str, BucketObservation] = {}

    def update(self, bucket: datetime, observations: Mapping[str, BucketObservation],
               now: datetime | None = None) -> Tick:
        """Score the bucket starting at ``bucket`` for every service (absent ones had nothing)."""
        unknown = sorted(set(observations) - set(self.index))
        if unknown:
            raise InputError(f"observation for unknown service(s) {', '.join(unknown[:5])}")
        arrays = BucketArrays.from_observations(self.services, observations)
        tick = self.step_arrays(bucket, arrays, now)
        self.observations = dict(observations)
        for service, obs in observations.items():
            if obs.problems or obs.locations:
                self.book.add_evidence(self.state, self.index[service], obs.problems, obs.locations)
        self.book.drop_ended_runs(self.state)
        return tick

    def step_arrays(self, bucket: datetime, arrays: BucketArrays, now: datetime | None = None,
                    with_decision: bool = False) -> Tick:
        """The same as ``update`` for callers that already hold the bucket as arrays; with
        ``with_decision``, ``last.decision`` holds the incident rule's decision (``detector.decision``)."""
        t = epoch(bucket)
        width = self.settings.bucket_seconds
        if t % width:
            raise InputError(f"bucket {bucket.isoformat()} does not start on a {width} s boundary")
        if self.last_bucket is not None and t <= self.last_bucket:
            raise InputError(f"bucket {bucket.isoformat()} is not after the last one scored")
        before = self.state.status.copy()
        out = self.engine.step(self.state, arrays, t, with_decision=with_decision)
        closed = self.book.record(self.state, out.changed, out.alarm_before)
        opened = [inc for i in out.changed.tolist() if out.alarm_before[i] == 0
                  and (inc := self.book.active_for(self.state, i)) is not None]
        self.last, self.last_bucket, self.updated_at = out, t, now or datetime.now(UTC)
        moved = np.flatnonzero(before != self.state.status)
        return Tick(bucket=bucket, changed=[self.services[i] for i in moved.tolist()], opened=opened,
                    closed=closed)

    def verdict(self, service: str) -> Verdict:
        if self.last is None or self.last_bucket is None:
            raise InputError("no bucket has been scored yet")
        i = self._position(service)
        out = self.last
        assert out.confidence is not None
        incident = self.book.open.get(i)
        bucket = at(self.last_bucket)
        assert bucket is not None
        return build_verdict(VerdictInputs(
            service=service, index=i, observed=float(out.observed[i]), expected=float(out.expected[i]),
            dispersion=float(out.dispersion[i]),
            score=float(out.score[i]), confidence=float(out.confidence[i]), status_code=int(out.status[i]),
            bucket=bucket, updated_at=self.updated_at, observation=self.observations.get(service),
            incident_id=None if incident is None else incident.id), self.state, self.settings)

    def stamp(self) -> tuple[str | None, str | None]:
        """The ``bucket`` and ``updated_at`` of every verdict of the last scored bucket."""
        if self.last_bucket is None:
            raise InputError("no bucket has been scored yet")
        return iso(at(self.last_bucket)), iso(self.updated_at)

    def quiet_keys(self, indices: Sequence[int] | None = None) -> list[tuple[Any, ...] | None]:
        """Per service (in order, or those at ``indices``), ``verdict.quiet_key`` of its current
        verdict, or None for a service with an observation in the last bucket (its verdict is read
        from it)."""
        out = self.last
        if out is None or out.confidence is None:
            raise InputError("no bucket has been scored yet")
        settings, state, observations = self.settings, self.state, self.observations
        incidents = self.book.open
        at_ = slice(None) if indices is None else np.asarray(indices, dtype=np.int64)
        names = self.services if indices is None else [self.services[i] for i in indices]
        keys: list[tuple[Any, ...] | None] = []
        columns = zip(range(len(names)) if indices is None else indices, names, out.status[at_].tolist(),
                      state.since[at_].tolist(), out.confidence[at_].tolist(), out.observed[at_].tolist(),
                      out.expected[at_].tolist(), out.score[at_].tolist(), state.seen[at_].tolist(),
                      strict=True)
        for i, service, status, since, confidence, observed, expected, score, seen in columns:
            if service in observations:
                keys.append(None)
                continue
            incident = incidents.get(i)
            keys.append(quiet_key(int(status), since, confidence, observed, expected, score, seen,
                                  None if incident is None else incident.id, settings))
        return keys

    def quiet_snapshot(self) -> QuietSnapshot:
        """What every service's ``quiet_key`` is made of, as arrays (``VerdictBook`` compares two)."""
        out = self.last
        if out is None or out.confidence is None:
            raise InputError("no bucket has been scored yet")
        state = self.state
        incident = np.full(len(self.services), -1.0)
        for i, opened in self.book.open.items():
            incident[i] = opened.id
        observed = np.zeros(len(self.services), dtype=bool)
        for service in self.observations:
            observed[self.index[service]] = True
        exact = np.stack([out.status.astype(float), state.since, out.confidence, out.observed, out.score,
                          incident, out.expected > 0], axis=1)
        cells, safe = shown_cells(out.expected, state.seen, self.settings.bucket_seconds)
        # (a count without an observation shows a ratio to expected that the cells do not hold)
        return QuietSnapshot(exact, cells, safe & ~observed & (out.observed == 0))

    def timeline_row(self, service: str) -> TimelineRow:
        if self.last is None or self.last_bucket is None:
            raise InputError("no bucket has been scored yet")
        i = self._position(service)
        bucket = at(self.last_bucket)
        assert bucket is not None
        return TimelineRow(service=service, bucket=bucket, observed=float(self.last.observed[i]),
                           expected=float(self.last.expected[i]), score=float(self.last.score[i]),
                           status=STATUS_BY_CODE[int(self.last.status[i])].value)

    def active_incidents(self) -> list[Incident]:
        return self.book.active(self.state)

    def state_bytes(self, service: str) -> bytes:
        """The service's memory (baseline, alarm, open incident) to persist between restarts."""
        i = self._position(service)
        blob = self.state.to_bytes(i)
        current = self.book.open.get(i)
        run = self.book.pending.get(i)
        extra: dict[str, Any] = {} if current is None else {
            "incident": current.id, "problems": dict(current.problems),
            "locations": dict(current.locations.most_common(20))}
        if run is not None:
            extra["pending"] = {"problems": dict(run.problems),
                                "locations": dict(run.locations.most_common(20))}
        tail = json.dumps(extra, separators=(",", ":")).encode() if extra else b""
        return len(blob).to_bytes(4, "little") + blob + tail

    def load_state(self, service: str, blob: bytes) -> None:
        i = self._position(service)
        size = int.from_bytes(blob[:4], "little")
        self.state.load_bytes(i, blob[4:4 + size])
        rest = blob[4 + size:]
        if rest:
            extra = json.loads(rest)
            if "incident" in extra:
                opened = self.book.open.setdefault(i, self._new_open(int(extra["incident"])))
                opened.problems.update(extra.get("problems", {}))
                opened.locations.update(extra.get("locations", {}))
            if "pending" in extra:
                self.book.pending.setdefault(i, Evidence()).add(extra["pending"].get("problems", {}),
                                                                extra["pending"].get("locations", {}))
        last = self.state.last_bucket[i]
        if np.isfinite(last):
            self.last_bucket = int(last) if self.last_bucket is None else max(self.last_bucket, int(last))

    def _new_open(self, incident_id: int) -> OpenIncident:
        self.book.next_id = max(self.book.next_id, incident_id + 1)
        return OpenIncident(incident_id)

    def _position(self, service: str) -> int:
        try:
            return self.index[service]
        except KeyError:
            raise InputError(f"unknown service {service!r}") from None

