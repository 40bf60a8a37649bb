"""The live driver: every closed bucket's counts from the store, through the detector, back to the store.

Each ``advance(until)`` scores, in order, every bucket that ended at or before ``until`` and has not
been scored yet, with ``detector.live.LiveDetector`` (the same per-bucket code a replay runs); it
writes the per-bucket scores, verdict changes, incidents and the detector's memory in one transaction
per chunk, and hands the current verdicts to ``publish`` (the API's in-memory board).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import numpy as np

from detector.inputs import SOURCE_KINDS, BucketObservation
from detector.live import LiveDetector
from detector.settings import DetectorSettings
from detector.verdict import STATUS_BY_CODE
from detector.verdict_book import VerdictBook
from downwatch.records import OFFICIAL_LEVELS, Kind
from downwatch.runtime.supervision import DetectorHealth, one_line
from downwatch.store.detector_output import (
    ScoreRow,
    TickOutput,
    VerdictChange,
    first_count_bucket,
    next_incident_id,
    read_counts,
    read_states,
    read_status_readings,
    read_verdicts,
    write_tick,
)
from downwatch.store.signals import bucket_of

log = logging.getLogger(__name__)

Publish = Callable[[Mapping[str, Mapping[str, Any]], datetime], object]
CHUNK_BUCKETS = 720
CATCH_UP_LIMIT = timedelta(days=1)
OFFICIAL_DESCRIPTIONS = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                         "major": "Partial System Outage", "critical": "Major Service Outage"}


@dataclass(slots=True)
class _Bucket:
    reports: float = 0.0
    posts: float = 0.0
    reporters: float = 0.0
    probe_failed: float = 0.0
    probe_checks: float = 0.0
    status_weight: float = 0.0
    status_readings: int = 0
    problems: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    locations: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def latest_readings(readings: Iterable[Mapping[str, Any]],
                    bucket_seconds: int) -> dict[tuple[str, datetime], tuple[str, str | None]]:
    """The last status-page reading of each service in each bucket: (indicator, description).

    A page's state is its latest word, not an average of what it said during the bucket.
    """
    latest: dict[tuple[str, datetime], tuple[str, str | None]] = {}
    for row in readings:
        level = min(3, max(0, round(3 * float(row["weight"]))))
        indicator = OFFICIAL_LEVELS[level]
        evidence = row["evidence"] if isinstance(row["evidence"], dict) else {}
        description = evidence.get("description") if evidence.get("indicator") == indicator else None
        latest[(row["service"], bucket_of(row["observed_at"], bucket_seconds))] = (
            indicator, description if isinstance(description, str) else None)
    return latest


def observations_from_rows(bucket: datetime, counts: Iterable[Mapping[str, Any]],
                           places: Iterable[Mapping[str, Any]],
                           alive: frozenset[Kind] = frozenset(SOURCE_KINDS),
                           readings: Mapping[str, tuple[str, str | None]] | None = None
                           ) -> dict[str, BucketObservation]:
    """One bucket's ``counts`` and ``location_counts`` rows as the detector's observations.

    Stored conventions (``ingest.sources.structured``): a ``post``'s weight is its classifier
    confidence; a ``probe`` signal is one check (weight 1 failed, 0 passed); a ``status`` signal is
    one status-page reading whose weight codes the indicator (``status_weight``).
    """
    per: dict[str, _Bucket] = defaultdict(_Bucket)
    for row in counts:
        b = per[row["service"]]
        kind, n, weight = row["kind"], row["n"], row["weight"]
        if kind == Kind.REPORT:
            b.reports += n
            b.reporters += row["reporters"]
            b.problems[row["problem"]] += n
        elif kind == Kind.POST:
            b.posts += weight
            b.reporters += row["reporters"]
            b.problems[row["problem"]] += weight
        elif kind == Kind.PROBE:
            b.probe_checks += n
            b.probe_failed += weight
        elif kind == Kind.STATUS:
            b.status_weight += weight
            b.status_readings += n
    for row in places:
        per[row["service"]].locations[row["location"]] += row["n"]
    out = {}
    for service, b in per.items():
        official, description = None, None
        if readings and service in readings:
            official, description = readings[service]
        elif b.status_readings:
            official = OFFICIAL_LEVELS[min(3, round(3 * b.status_weight / b.status_readings))]
        out[service] = BucketObservation(
            service=service, bucket=bucket, reports=b.reports, posts=b.posts,
            reporters=b.reporters if b.reports or b.posts else None, problems=dict(b.problems),
            locations=dict(b.locations), probe_failed=b.probe_failed, probe_checks=b.probe_checks,
            official=official, official_description=description or OFFICIAL_DESCRIPTIONS.get(official or ""),
            alive=alive)
    return out


class BucketFailed(Exception):
    """The detector itself raised on a bucket (not the store): the bucket is skipped on the retry."""

    def __init__(self, bucket: datetime, cause: BaseException) -> None:
        super().__init__(f"scoring bucket {bucket.isoformat()} failed: {one_line(cause)}")
        self.bucket = bucket


class DetectorTicker:
    """Scores closed buckets for every service of the live catalog and publishes the verdicts.

    Supervised: the in-memory detector never runs ahead of the store. After any failed tick (the
    store went away mid-write, a restore failed, the detector raised) and whenever the catalog
    changes, the next tick first reloads the detector from the last committed state, so a retry
    scores exactly the buckets that were not durably written. A service whose input cannot be
    scored is set aside for that bucket (it is fed no observation) and named in ``health``; a
    bucket on which the detector itself raises is scored once more without observations.
    """

    def __init__(self, pool: asyncpg.Pool, services: Sequence[str], *, bucket_seconds: int,
                 publish: Publish | None = None, settings: DetectorSettings | None = None,
                 health: DetectorHealth | None = None) -> None:
        self._pool = pool
        self._bucket = timedelta(seconds=bucket_seconds)
        self._publish = publish
        self._settings = settings or DetectorSettings(bucket_seconds=bucket_seconds)
        self.health = health or DetectorHealth(tick_seconds=float(bucket_seconds),
                                               bucket_seconds=bucket_seconds)
        self._services = list(dict.fromkeys(services))
        self.detector = LiveDetector(self._services, self._settings)
        self._active = np.zeros(len(self._services), dtype=bool)
        self.last_bucket: datetime | None = None
        self.alive: frozenset[Kind] = frozenset(SOURCE_KINDS)
        self._statuses: dict[str, str] = {}
        self._official: dict[str, tuple[str, str | None]] = {}
        self._start: datetime | None = None
        self._reload = True
        self._poisoned: datetime | None = None
        self.stamp_scope = "all"
        """The scope of this ticker's stamp in the store (``TickOutput.scope``)."""
        self.book = VerdictBook()
        """The current verdicts, each rebuilt only when its content can have changed (empty after a
        restore, so the first tick writes them all in full; later ones restamp the rest in the store)."""
        self.unpublished: set[str] = set()
        """Services whose verdict content changed since the verdicts were last taken to be published."""

    @property
    def services(self) -> list[str]:
        return list(self._services)

    def set_services(self, services: Iterable[str]) -> bool:
        """Follow the live catalog; a change reloads the detector from the store before the next
        bucket. Returns whether the set changed."""
        wanted = list(dict.fromkeys(services))
        for name in [name for name in self.health.ignored if name in wanted]:
            del self.health.ignored[name]
        if set(wanted) == set(self._services):
            return False
        added = sorted(set(wanted) - set(self._services))
        removed = sorted(set(self._services) - set(wanted))
        log.info("detector: catalog changed (added %s; removed %s)", ", ".join(added[:10]) or "none",
                 ", ".join(removed[:10]) or "none")
        self._services = wanted
        self._reload = True
        return True

    async def restore(self, start: datetime | None = None) -> None:
        """Load the detector's memory from the store; without any, start scoring at ``start``
        (default: the start given before, else now), or at the first bucket already counted if
        that is earlier (``_first_unscored``)."""
        if start is not None:
            self._start = start
        states = await read_states(self._pool, self._services)
        stored_incident_id = await next_incident_id(self._pool)
        stored_verdicts = await read_verdicts(self._pool, self._services)
        detector, unreadable = self._loaded(states)
        active = np.zeros(len(self._services), dtype=bool)
        for service in states:
            if service in detector.index and service not in unreadable:
                active[detector.index[service]] = True
        detector.book.next_id = max(detector.book.next_id, stored_incident_id)
        statuses: dict[str, str] = {}
        official: dict[str, tuple[str, str | None]] = {}
        for service, body in stored_verdicts.items():
            statuses[service] = body.get("status", "unknown")
            stored_official = body.get("official") or {}
            if service in detector.index and stored_official.get("indicator") in OFFICIAL_DESCRIPTIONS:
                official[service] = (stored_official["indicator"], stored_official.get("description"))
        self.detector, self._active, self._statuses, self._official = detector, active, statuses, official
        self.book.clear()
        if detector.last_bucket is not None:
            self.last_bucket = datetime.fromtimestamp(detector.last_bucket, UTC)
        elif self._start is not None:
            start = await self._first_unscored(self._start)
            self.last_bucket = bucket_of(start, int(self._bucket.total_seconds())) - self._bucket
        else:
            self.last_bucket = None
        self._reload = False
        self.health.restored()

    async def _first_unscored(self, start: datetime) -> datetime:
        """Where scoring starts when the store holds no detector memory: ``start``, or the first
        bucket already holding counts if that is earlier (a process that died before its first tick
        wrote must not leave its reports unscored), at most ``CATCH_UP_LIMIT`` before ``start``."""
        first = await first_count_bucket(self._pool)
        if first is None or first >= start:
            return start
        return max(first, start - CATCH_UP_LIMIT)

    def _loaded(self, states: Mapping[str, tuple[datetime, bytes]]) -> tuple[LiveDetector, set[str]]:
        """A detector holding every readable stored state; a corrupt one costs only its service its
        memory (the detector is rebuilt without it, as a half-loaded row cannot be trusted)."""
        unreadable: set[str] = set()
        while True:
            detector = LiveDetector(self._services, self._settings)
            for service, (bucket, blob) in states.items():
                if service not in detector.index or service in unreadable:
                    continue
                try:
                    detector.load_state(service, blob)
                except Exception as exc:
                    unreadable.add(service)
                    self.health.isolate(service, f"stored state unreadable ({one_line(exc)}); "
                                        "starting afresh", bucket)
                    break
            else:
                return detector, unreadable

    def due(self, until: datetime) -> list[datetime]:
        """Bucket starts that ended by ``until`` and are not scored yet."""
        last_closed = bucket_of(until, int(self._bucket.total_seconds())) - self._bucket
        if self.last_bucket is None:
            self.last_bucket = last_closed - self._bucket
        first = self.last_bucket + self._bucket
        count = int((last_closed - first) / self._bucket) + 1
        return [first + i * self._bucket for i in range(max(0, count))]

    def begin_at(self, start: datetime) -> None:
        """Where scoring starts when the store holds no detector memory yet."""
        self._start = start

    async def advance(self, until: datetime, *, now: datetime | None = None) -> int:
        """Score every due bucket; return how many were scored.

        On failure the exception propagates (the tick failed and is recorded in ``health`` at
        ``now``, default ``until``) and the next call starts again from the store's last committed
        state.
        """
        now = now or until
        try:
            if self._reload:
                await self.restore()
            due = self.due(until)
            for start in range(0, len(due), CHUNK_BUCKETS):
                await self._score_chunk(due[start:start + CHUNK_BUCKETS])
        except Exception as exc:
            self._reload = True
            if isinstance(exc, BucketFailed):
                self._poisoned = exc.bucket
            self.health.failed(now, exc)
            raise
        self.health.succeeded(now, self.last_bucket)
        if due:
            self._scored(due[-1] + self._bucket)
        return len(due)

    def _scored(self, at: datetime) -> None:
        """After a call that scored buckets (the last one ending at ``at``): hand the verdicts on."""
        if self._publish is not None:
            self._publish(self.verdicts(), at)

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """Every scored service's verdict; one that cannot be built is left out (and reported)."""
        if self.detector.last is None:
            return {}
        return self.book.stamped(self.detector.stamp())

    def _unbuildable(self, service: str, exc: Exception) -> None:
        self.health.isolate(service, f"verdict could not be built ({one_line(exc)})",
                            self.last_bucket or datetime.now(UTC))

    def _accepted(self, bucket: datetime,
                  observations: dict[str, BucketObservation]) -> dict[str, BucketObservation]:
        """The observations the detector can score; the rest are named in ``health``."""
        kept = {}
        for service, obs in observations.items():
            if service not in self.detector.index:
                self.health.ignore(service, "not in the live catalog")
                continue
            problem = invalid_reason(obs)
            if problem is not None:
                self.health.isolate(service, f"observation set aside: {problem}", bucket)
                continue
            kept[service] = obs
        return kept

    async def _score_chunk(self, buckets: list[datetime]) -> None:
        counts, places = await read_counts(self._pool, buckets[0], buckets[-1] + self._bucket)
        readings = latest_readings(
            await read_status_readings(self._pool, buckets[0], buckets[-1] + self._bucket),
            int(self._bucket.total_seconds()))
        readings_by: dict[datetime, dict[str, tuple[str, str | None]]] = defaultdict(dict)
        for (service, bucket_start), reading in readings.items():
            readings_by[bucket_start][service] = reading
        counts_by: dict[datetime, list[Any]] = defaultdict(list)
        places_by: dict[datetime, list[Any]] = defaultdict(list)
        for row in counts:
            counts_by[row["bucket"]].append(row)
        for row in places:
            places_by[row["bucket"]].append(row)
        out = TickOutput()
        touched_incidents: dict[int, dict[str, Any]] = {}
        for bucket in buckets:
            observations = observations_from_rows(bucket, counts_by.get(bucket, ()),
                                                  places_by.get(bucket, ()), self.alive,
                                                  readings_by.get(bucket))
            observations = self._with_official(bucket, self._accepted(bucket, observations))
            if self._poisoned == bucket:
                self.health.skipped(bucket, "the detector raised on it before")
                self._poisoned, observations = None, {}
            for service in observations:
                self._active[self.detector.index[service]] = True
            try:
                tick = self.detector.update(bucket, observations, now=bucket + self._bucket)
                changes = [(service, self.detector.verdict(service).to_dict()) for service in tick.changed]
            except Exception as exc:
                raise BucketFailed(bucket, exc) from exc
            last = self.detector.last
            assert last is not None
            for i in np.flatnonzero(self._active).tolist():
                out.scores.append(ScoreRow(self.detector.services[i], bucket, float(last.observed[i]),
                                           float(last.expected[i]), float(last.score[i]),
                                           _status_name(int(last.status[i]))))
            for service, body in changes:
                before = self._statuses.get(service, "unknown")
                if before != body["status"]:
                    out.changes.append(VerdictChange(service, bucket + self._bucket, before, body["status"],
                                                     body))
                self._statuses[service] = body["status"]
            for incident in [*tick.opened, *tick.closed]:
                touched_incidents[incident.id] = incident.to_dict()
        for incident in self.detector.active_incidents():
            touched_incidents[incident.id] = incident.to_dict()
        out.incidents = list(touched_incidents.values())
        changed = self.book.refresh(self.detector, self._unbuildable)
        out.verdicts = {name: self.book.bodies[name] for name in changed}  # built now: stamped as of now
        stamp, updated_at = self.detector.stamp()
        out.scope = self.stamp_scope
        if stamp is not None and updated_at is not None:
            out.stamp = (stamp, updated_at)
        if changed == set(self.book.bodies):
            out.only = sorted(changed)
        last_bucket = buckets[-1]
        for i in np.flatnonzero(self._active).tolist():
            name = self.detector.services[i]
            try:
                out.states[name] = (last_bucket, self.detector.state_bytes(name))
            except Exception as exc:
                self.health.isolate(name, f"state could not be saved ({one_line(exc)})", last_bucket)
        async with self._pool.acquire() as conn:  # (on failure, the restore rebuilds the book)
            await write_tick(conn, out)
        self.unpublished |= changed
        self.last_bucket = last_bucket

    def _with_official(self, bucket: datetime,
                       observations: dict[str, BucketObservation]) -> dict[str, BucketObservation]:
        """A status page's last reading holds until the next one: carry it into buckets without one."""
        for service, obs in observations.items():
            if obs.official is not None:
                self._official[service] = (obs.official, obs.official_description)
        for service, (indicator, description) in self._official.items():
            current = observations.get(service)
            if current is None:
                observations[service] = BucketObservation(service=service, bucket=bucket, official=indicator,
                                                          official_description=description, alive=self.alive)
            elif current.official is None:
                observations[service] = replace(current, official=indicator, official_description=description)
        return observations


def invalid_reason(obs: BucketObservation) -> str | None:
    """Why an observation cannot be scored (a count that is negative, infinite or not a number)."""
    numbers = {"reports": obs.reports, "posts": obs.posts, "probe_failed": obs.probe_failed,
               "probe_checks": obs.probe_checks, "reporters": obs.reporters or 0.0}
    numbers.update({f"problem {k}": v for k, v in obs.problems.items()})
    numbers.update({f"location {k}": v for k, v in obs.locations.items()})
    for name, value in numbers.items():
        if not math.isfinite(value) or value < 0:
            return f"{name} = {value!r}"
    if obs.probe_failed > obs.probe_checks:
        return f"{obs.probe_failed:g} failed probe checks out of {obs.probe_checks:g}"
    return None


def _status_name(code: int) -> str:
    return STATUS_BY_CODE[code].value
