"""Compile the detector's loops ahead of the first bucket that needs them.

The loops are compiled by numba on first call and cached on disk (``detector.jit``). On a fresh
install the first call pays the compilation (several seconds); a process that has other work to do
first (the demo starts PostgreSQL and its feeder) can call ``compile_loops`` in a thread meanwhile,
and the first real bucket then finds the loops compiled. Numba's compiler lock makes a concurrent
first call wait for the compilation instead of repeating it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from detector.inputs import BucketObservation
from detector.live import LiveDetector
from detector.settings import DetectorSettings

WARM_SERVICES = ("warm-quiet", "warm-busy")
WARM_START = datetime(2000, 1, 1, tzinfo=UTC)
WARM_BUCKETS = 3


def compile_loops(settings: DetectorSettings | None = None) -> None:
    """Score a few buckets of two made-up services and read their verdicts, which compiles every loop
    a bucket and a verdict run."""
    detector = LiveDetector(list(WARM_SERVICES), settings)
    width = timedelta(seconds=detector.settings.bucket_seconds)
    for index in range(WARM_BUCKETS):
        bucket = WARM_START + index * width
        detector.update(bucket, {"warm-busy": BucketObservation("warm-busy", bucket, reports=float(index),
                                                                posts=0.5)}, now=bucket + width)
    for service in WARM_SERVICES:
        detector.verdict(service)
