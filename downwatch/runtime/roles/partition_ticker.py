"""The live detector for one partition's services: ``DetectorTicker`` limited to a partition.

It scores only the services whose signals travel on its partition (counts of other partitions'
services are another worker's, not "unknown"), restores from their checkpoint (``detector_state``:
each service's memory and the last bucket scored, written in the tick's transaction), and allocates
incident ids from the partition's own range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from detector.inputs import BucketObservation
from downwatch.runtime.bus.names import partition_of
from downwatch.runtime.supervision import DetectorHealth
from downwatch.runtime.ticker import DetectorTicker
from downwatch.store.detector_lock import next_incident_id_in


@dataclass(frozen=True, slots=True)
class VerdictUpdate:
    """What a partition's verdicts became since they were last taken: the verdicts whose content
    changed, in full, and the stamp every other one of ``bodies`` now carries."""

    changed: dict[str, dict[str, Any]]
    bodies: Mapping[str, Mapping[str, Any]]
    """Every current verdict, as built (a quiet one keeps the stamps of the bucket it was built in)."""
    bucket: str
    updated_at: str
    at: datetime


class PartitionTicker(DetectorTicker):
    def __init__(self, pool: asyncpg.Pool, partition: int, partitions: int, services: Iterable[str], *,
                 bucket_seconds: int, health: DetectorHealth | None = None) -> None:
        self.partition, self.partitions = partition, partitions
        self._scored_at: datetime | None = None
        """When the last scored bucket ended, until the worker takes the update (``take_outbox``)."""
        self._mine_cache: tuple[tuple[str, ...], list[str]] | None = None
        super().__init__(pool, self.mine(services), bucket_seconds=bucket_seconds, health=health)
        self.stamp_scope = f"p{partition}"

    def _scored(self, at: datetime) -> None:
        self._scored_at = at

    def take_outbox(self) -> VerdictUpdate | None:
        """The verdicts changed since the last update taken, and the newest stamp (None when no
        bucket was scored since). A worker that fails to publish it gives it back (``give_back``)."""
        at, self._scored_at = self._scored_at, None
        if at is None or self.detector.last is None:
            return None
        bucket, updated_at = self.detector.stamp()
        assert bucket is not None and updated_at is not None
        bodies = self.book.bodies
        changed = {name: bodies[name] for name in self.unpublished if name in bodies}
        self.unpublished = set()
        return VerdictUpdate(changed, bodies, bucket, updated_at, at)

    def give_back(self, update: VerdictUpdate) -> None:
        """An update that was not published: its changes go out with the next one."""
        self.unpublished |= set(update.changed)
        if self._scored_at is None:
            self._scored_at = update.at

    def mine(self, services: Iterable[str]) -> list[str]:
        """The services of this partition, in order (the last answer is kept: each tick asks again
        with the same 33,000 names)."""
        given = tuple(services)
        cached = self._mine_cache
        if cached is not None and cached[0] == given:
            return list(cached[1])
        own = [s for s in dict.fromkeys(given) if partition_of(s, self.partitions) == self.partition]
        self._mine_cache = (given, own)
        return list(own)

    def set_services(self, services: Iterable[str]) -> bool:
        return super().set_services(self.mine(services))

    async def restore(self, start: datetime | None = None) -> None:
        await super().restore(start)
        self.detector.book.next_id = await next_incident_id_in(self._pool, self.partition)

    def _accepted(self, bucket: datetime,
                  observations: dict[str, BucketObservation]) -> dict[str, BucketObservation]:
        own = {service: obs for service, obs in observations.items()
               if partition_of(service, self.partitions) == self.partition}
        return super()._accepted(bucket, own)
