"""Incidents: opened when a service's alarm rises, closed when it recovers, with onset, peak and end.

The engine keeps the numbers (onset, detection, peak, severity, calm start) in its state arrays;
``IncidentBook`` turns alarm changes into ``Incident`` records and adds up the problems and locations
of each incident from its onset (back-dated to where the rise began) to the bucket that closed it: a
service whose CUSUM run is under way keeps that run's evidence aside (``pending``) until the run ends
or an incident opens and takes it over.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from detector.codes import DOWN, UP
from detector.state import DetectorState

TOP_N = 5


def at(epoch: float) -> datetime | None:
    return None if not math.isfinite(epoch) else datetime.fromtimestamp(epoch, UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else _iso(moment)


@functools.lru_cache(maxsize=4096)
def _iso(moment: datetime) -> str:
    """Cached: a tick formats the same bucket and update time once per service."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def shares(counts: Mapping[str, float], top: int = TOP_N) -> dict[str, float]:
    """The largest entries as shares of the total, rounded, largest first."""
    total = sum(v for v in counts.values() if v > 0)
    ranked = sorted(((k, v) for k, v in counts.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {k: round(v / total, 3) for k, v in ranked} if total else {}


def top_counts(counts: Mapping[str, float], top: int = TOP_N) -> dict[str, float]:
    ranked = sorted(((k, v) for k, v in counts.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {k: round(v, 3) for k, v in ranked}


@dataclass(frozen=True, slots=True)
class Incident:
    """One outage of one service: onset back-dated to where the rise began."""

    id: int
    service: str
    status: str
    """``active`` or ``resolved``."""
    severity: str
    """The worst status reached: ``degraded`` or ``down``."""
    started_at: datetime
    detected_at: datetime
    peak_at: datetime
    peak_count: float
    ended_at: datetime | None
    problems: dict[str, float] = field(default_factory=dict)
    locations: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "service": self.service, "status": self.status, "severity": self.severity,
            "started_at": iso(self.started_at), "detected_at": iso(self.detected_at),
            "peak_at": iso(self.peak_at), "peak_count": round(self.peak_count, 3),
            "ended_at": iso(self.ended_at), "problems": self.problems, "locations": self.locations,
        }


@dataclass(slots=True)
class OpenIncident:
    id: int
    problems: Counter[str] = field(default_factory=Counter)
    locations: Counter[str] = field(default_factory=Counter)
    evidence_from: float = math.nan
    """Epoch second of the first bucket whose evidence counts: the onset when the alarm opened inside a
    CUSUM run (where that rise began), else the detection."""


@dataclass(slots=True)
class Evidence:
    problems: Counter[str] = field(default_factory=Counter)
    locations: Counter[str] = field(default_factory=Counter)

    def add(self, problems: Mapping[str, float], locations: Mapping[str, float]) -> None:
        self.problems.update({k: v for k, v in problems.items() if v > 0})
        self.locations.update({k: v for k, v in locations.items() if v > 0})


class IncidentBook:
    """Open and closed incidents of a set of services (indexed like the engine's state)."""

    def __init__(self, services: list[str], first_id: int = 1) -> None:
        self.services = services
        self.next_id = first_id
        self.open: dict[int, OpenIncident] = {}
        self.closed: list[Incident] = []
        self.pending: dict[int, Evidence] = {}
        """Evidence of services whose rise is under way (``rising``) and that have no open incident."""

    def record(self, state: DetectorState, changed: np.ndarray, alarm_before: np.ndarray) -> list[Incident]:
        """Open or close incidents for the services whose alarm changed; returns the closed ones."""
        closed = []
        for i in changed.tolist():
            was, now = alarm_before[i], state.alarm[i]
            if was == UP and now > UP:
                opened = self.open[i] = OpenIncident(self.next_id)
                self.next_id += 1
                run = self.pending.pop(i, None)
                if state.cusum[i] > 0:
                    opened.evidence_from = float(state.onset[i])
                    if run is not None:
                        opened.problems, opened.locations = run.problems, run.locations
                else:
                    opened.evidence_from = float(state.detected[i])
            elif was > UP and now == UP and i in self.open:
                incident = self._incident(state, i, self.open.pop(i), resolved=True)
                self.closed.append(incident)
                closed.append(incident)
        return closed

    def add_evidence(self, state: DetectorState, i: int, problems: Mapping[str, float],
                     locations: Mapping[str, float]) -> None:
        """Count a bucket's problems and locations (after its step) towards service ``i``'s open incident,
        or set them aside while its CUSUM run is under way."""
        current = self.open.get(i)
        if current is not None:
            Evidence(current.problems, current.locations).add(problems, locations)
        elif rising(state, i):
            self.pending.setdefault(i, Evidence()).add(problems, locations)

    def drop_ended_runs(self, state: DetectorState) -> None:
        """Forget the evidence set aside for services whose rise has ended (its CUSUM run, or the
        windowed excess the onset dates from)."""
        for i in [i for i in self.pending if not rising(state, i)]:
            del self.pending[i]

    def active(self, state: DetectorState) -> list[Incident]:
        return [self._incident(state, i, o, resolved=False) for i, o in sorted(self.open.items())]

    def active_for(self, state: DetectorState, i: int) -> Incident | None:
        current = self.open.get(i)
        return None if current is None else self._incident(state, i, current, resolved=False)

    def _incident(self, state: DetectorState, i: int, current: OpenIncident, resolved: bool) -> Incident:
        detected = at(state.detected[i])
        assert detected is not None, "an open incident always has a detection time"
        return Incident(
            id=current.id, service=self.services[i], status="resolved" if resolved else "active",
            severity="down" if state.severity[i] >= DOWN else "degraded",
            started_at=at(state.onset[i]) or detected, detected_at=detected,
            peak_at=at(state.peak_at[i]) or detected, peak_count=float(state.peak_count[i]),
            ended_at=(at(state.calm_start[i]) or at(state.last_bucket[i])) if resolved else None,
            problems=shares(current.problems), locations=top_counts(current.locations),
        )


def rising(state: DetectorState, i: int) -> bool:
    """Service ``i`` is in a CUSUM run with its windowed excess above 0: the stretch an alarm's onset
    (``machine.onset_of``) dates from, whose evidence is set aside until the alarm opens."""
    return bool(state.cusum[i] > 0 and np.isfinite(state.excess_since[i]))


def with_evidence(incident: Incident, problems: Mapping[str, float],
                  locations: Mapping[str, float]) -> Incident:
    """The incident with its problems and locations replaced (the replay adds them up afterwards)."""
    return replace(incident, problems=shares(problems), locations=top_counts(locations))
