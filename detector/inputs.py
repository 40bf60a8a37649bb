"""What the detector reads each bucket: one service's observation, and the same for many services as arrays.

``BucketObservation`` is the record a caller builds for one service and one bucket. ``BucketArrays``
holds one bucket for many services in lockstep (index i of every array is service i); both the live
driver and the replay build it and hand it to ``detector.engine.step``.

Official status indicators are coded as integers (``detector.codes``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from detector.codes import NO_OFFICIAL, OFFICIAL_CODES, OFFICIAL_MINOR
from downwatch.records import Kind

SOURCE_KINDS: tuple[Kind, ...] = (Kind.REPORT, Kind.POST, Kind.PROBE, Kind.STATUS)


@dataclass(frozen=True, slots=True)
class BucketObservation:
    """Everything known about one service in one bucket.

    ``reports`` counts user reports; ``posts`` sums the classifier confidence of social posts (so it
    may be fractional); ``reporters`` is the number of distinct reporters behind them (``None``:
    unknown, taken as one per report/post). ``probe_failed``/``probe_checks`` count active-probe
    failures and checks. ``official`` is the status page indicator (a key of ``OFFICIAL_CODES``) or
    ``None`` when the service has no status data. ``alive`` names the kinds whose source is still
    delivering; a kind missing from it has stopped (the verdict may then be ``unknown``).
    """

    service: str
    bucket: datetime
    reports: float = 0.0
    posts: float = 0.0
    reporters: float | None = None
    problems: Mapping[str, float] = field(default_factory=dict)
    locations: Mapping[str, float] = field(default_factory=dict)
    probe_failed: float = 0.0
    probe_checks: float = 0.0
    official: str | None = None
    official_description: str | None = None
    alive: frozenset[Kind] = frozenset(SOURCE_KINDS)


@dataclass(slots=True)
class BucketArrays:
    """One bucket of many services in lockstep; optional parts are ``None`` when absent for all."""

    reports: np.ndarray
    posts: np.ndarray
    reporters: np.ndarray
    probe_failed: np.ndarray | None = None
    probe_checks: np.ndarray | None = None
    official: np.ndarray | None = None
    alive: np.ndarray | None = None
    """Boolean (4, n) in the order of ``SOURCE_KINDS``; ``None`` means every source is alive."""

    @classmethod
    def empty(cls, n: int) -> BucketArrays:
        zeros = np.zeros(n)
        return cls(reports=zeros, posts=zeros.copy(), reporters=zeros.copy())

    @classmethod
    def from_observations(cls, services: Sequence[str],
                          observations: Mapping[str, BucketObservation]) -> BucketArrays:
        """Arrays in the order of ``services``; a service without an observation had nothing."""
        n = len(services)
        reports, posts = np.zeros(n), np.zeros(n)
        reporters = np.full(n, np.nan)
        probe_failed, probe_checks = np.zeros(n), np.zeros(n)
        official = np.full(n, NO_OFFICIAL, dtype=np.int64)
        alive = np.ones((len(SOURCE_KINDS), n), dtype=bool)
        for i, service in enumerate(services):
            obs = observations.get(service)
            if obs is None:
                continue
            reports[i], posts[i] = obs.reports, obs.posts
            if obs.reporters is not None:
                reporters[i] = obs.reporters
            probe_failed[i], probe_checks[i] = obs.probe_failed, obs.probe_checks
            if obs.official is not None:
                official[i] = OFFICIAL_CODES.get(obs.official, OFFICIAL_MINOR)
            for k, kind in enumerate(SOURCE_KINDS):
                alive[k, i] = kind in obs.alive
        return cls(
            reports=reports, posts=posts, reporters=resolve_reporters(reports, posts, reporters),
            probe_failed=probe_failed if probe_checks.any() or probe_failed.any() else None,
            probe_checks=probe_checks if probe_checks.any() or probe_failed.any() else None,
            official=official if (official > NO_OFFICIAL).any() else None,
            alive=None if alive.all() else alive,
        )


def resolve_reporters(reports: np.ndarray, posts: np.ndarray, reporters: np.ndarray) -> np.ndarray:
    """Distinct reporters, taking one per report and one per (whole) post where they are unknown."""
    fallback = reports + np.ceil(posts)
    return np.where(np.isnan(reporters), fallback, reporters)
