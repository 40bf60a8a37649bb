"""The live detector for one partition's services: ``DetectorTicker`` limited to a partition.

It scores only the services whose signals travel on its partition (counts of other partitions'
services are another worker's, not "unknown"), restores from their checkpoint (``detector_state``:
each service's memory and the last bucket scored, written in the tick's transaction), and allocates
incident ids from the partition's own range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import asyncpg

from detector.inputs import BucketObservation
from downwatch.runtime.bus.names import partition_of
from downwatch.runtime.supervision import DetectorHealth
from downwatch.runtime.ticker import DetectorTicker
from downwatch.store.detector_lock import next_incident_id_in


class PartitionTicker(DetectorTicker):
    def __init__(self, pool: asyncpg.Pool, partition: int, partitions: int, services: Iterable[str], *,
                 bucket_seconds: int, health: DetectorHealth | None = None) -> None:
        self.partition, self.partitions = partition, partitions
        self.outbox: list[tuple[dict[str, Any], datetime]] = []
        """Each successful tick's verdicts and time, for the worker to publish (``take_outbox``)."""
        self._verdicts_cache: dict[str, dict[str, Any]] = {}
        self._verdicts_key: tuple[int, Any] | None = None
        self._mine_cache: tuple[tuple[str, ...], list[str]] | None = None
        super().__init__(pool, self.mine(services), bucket_seconds=bucket_seconds, publish=self._collect,
                         health=health)

    def _collect(self, verdicts: Mapping[str, Mapping[str, Any]], at: datetime) -> None:
        self.outbox.append((dict(verdicts), at))

    def take_outbox(self) -> tuple[dict[str, Any], datetime] | None:
        """The newest verdicts not yet taken (older ones are superseded by it)."""
        if not self.outbox:
            return None
        newest = self.outbox[-1]
        self.outbox.clear()
        return newest

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

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """Built once per scored bucket: the tick writes them and then publishes the same ones (at
        33,000 services building a verdict is most of a tick's CPU)."""
        key = (id(self.detector), self.detector.last_bucket)
        if self._verdicts_key != key:
            self._verdicts_cache, self._verdicts_key = super().verdicts(), key
        return self._verdicts_cache

    def _accepted(self, bucket: datetime,
                  observations: dict[str, BucketObservation]) -> dict[str, BucketObservation]:
        own = {service: obs for service, obs in observations.items()
               if partition_of(service, self.partitions) == self.partition}
        return super()._accepted(bucket, own)
