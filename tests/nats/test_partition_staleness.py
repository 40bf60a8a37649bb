"""A service's verdict is stale when its own partition's stamp stopped moving, though others move."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from downwatch.runtime.roles.verdict_chunks import Stamp, encode_chunks, encode_stamp, stamp_key
from downwatch.runtime.roles.verdict_watch import VerdictWatch

AT = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)


async def test_a_partition_whose_stamp_stopped_is_stale_and_the_others_are_not() -> None:
    health = SimpleNamespace(connected=True, changed_at=datetime.now(UTC), reconnects=0)
    published: list[dict[str, Any]] = []
    restamped: list[tuple[set[str], str]] = []
    watch = VerdictWatch(SimpleNamespace(health=health),  # type: ignore[arg-type]
                         lambda verdicts, at: published.append(dict(verdicts)),
                         tick_seconds=0.1, bucket_seconds=1,
                         restamp=lambda names, bucket, updated_at, at: restamped.append((set(names), bucket)))
    verdict = {"status": "up", "bucket": "2025-02-04T08:00:00Z", "updated_at": "2025-02-04T08:00:00Z"}
    pending: dict[str, dict[str, Any]] = {}
    stamps: dict[int, Stamp] = {}
    for partition, names in ((0, ("bt", "ee")), (1, ("sky",))):
        for key, value in encode_chunks(partition, {name: verdict for name in names}, AT):
            watch._take(key, value, pending, stamps)
    await watch._apply(pending, stamps, AT)
    assert published == [{"bt": verdict, "ee": verdict, "sky": verdict}]
    await asyncio.sleep(1.3)  # a bucket and two ticks: both partitions' verdicts are now stale
    assert watch.stale(service="bt") and watch.stale(service="sky")
    stamps = {}
    watch._take(stamp_key(0), encode_stamp(Stamp(0, "2025-02-04T08:00:01Z", "2025-02-04T08:00:01Z", AT)), {},
                stamps)
    await watch._apply({}, stamps, AT)
    assert restamped == [({"bt", "ee"}, "2025-02-04T08:00:01Z")]
    assert not watch.stale(service="bt") and not watch.stale(service="ee")
    assert watch.stale(service="sky")  # partition 1's worker is gone and no other took it over yet
    assert not watch.stale()  # the bucket as a whole is still heard from
