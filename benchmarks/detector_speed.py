"""Detector speed and state size: replay throughput, one live tick for many services, bytes per service.

    .venv/bin/python benchmarks/detector_speed.py                  # 1,000 services x 10 days, 100,000 live
    taskset -c 1 .venv/bin/python benchmarks/detector_speed.py --days 365   # the full year of the target

The replay figure times ``Engine.step`` over every bucket for all services in lockstep (the code path
``detector.replay`` uses), with the synthetic data generated day by day (not timed). It reports wall
time and the process's CPU time (on a shared machine CPU time is the fairer "one core" figure), and
projects one year twice: from the average over every day (the cold first days are cheaper) and from
the last day alone (closer to a mature baseline, where more services are candidates each bucket).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np

from detector.engine import Engine
from detector.inputs import BucketArrays, BucketObservation
from detector.live import LiveDetector
from detector.settings import DetectorSettings
from detector.state import DetectorState
from detector.synthetic import SyntheticWorld


def replay_speed(services: int, days: int) -> None:
    settings = DetectorSettings()
    world = SyntheticWorld(services=services, days=days, seed=11)
    engine, state = Engine(settings), DetectorState.new(services, settings)
    started = time.perf_counter()
    zeros = np.zeros(services)
    engine.step(DetectorState.new(services, settings),
                BucketArrays(reports=zeros, posts=zeros, reporters=zeros), int(world.day(0).buckets[0]))
    loading = time.perf_counter() - started
    print(f"replay: loading (or first compiling) the compiled passes took {loading:.1f} s "
          "(once per process, not timed below)")
    wall = cpu = last_cpu = 0.0
    for day in range(days):
        data = world.day(day)
        started, started_cpu = time.perf_counter(), time.process_time()
        for t in range(len(data.buckets)):
            engine.step(state, BucketArrays(reports=data.reports[t], posts=data.posts[t],
                                            reporters=data.reporters[t]), int(data.buckets[t]),
                        with_confidence=False)
        wall += time.perf_counter() - started
        last_cpu = time.process_time() - started_cpu
        cpu += last_cpu
    buckets = days * world.per_day
    print(f"replay: {services} services x {buckets} one-minute buckets in {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({cpu / buckets * 1e6:.0f} us CPU per bucket, "
          f"{services * buckets / cpu / 1e6:.2f} M service-buckets/s)")
    print(f"replay: last day alone {last_cpu / world.per_day * 1e6:.0f} us CPU per bucket")
    print(f"replay: projected one year x {services} services: {cpu / buckets * 525_600:.0f} s CPU from the "
          f"average, {last_cpu / world.per_day * 525_600:.0f} s CPU from the last day (target < 60 s)")


def live_tick(services: int) -> None:
    names = [f"s{i}" for i in range(services)]
    detector = LiveDetector(names)
    rng = np.random.default_rng(5)
    bucket = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
    arrays = BucketArrays(reports=rng.poisson(0.05, services).astype(float), posts=np.zeros(services),
                          reporters=np.zeros(services))
    arrays.reporters = arrays.reports.copy()
    detector.step_arrays(bucket, arrays)
    times = []
    for minute in range(1, 6):
        reports = rng.poisson(0.05, services).astype(float)
        started = time.perf_counter()
        detector.step_arrays(bucket.replace(minute=minute), BucketArrays(reports=reports,
                             posts=np.zeros(services), reporters=reports))
        times.append(time.perf_counter() - started)
    print(f"live: one tick of {services} services (arrays in): median {np.median(times) * 1e3:.0f} ms "
          "(target < 1000 ms)")
    active = rng.choice(services, size=services // 20, replace=False)
    observations = {names[i]: BucketObservation(names[i], bucket.replace(minute=10), reports=2.0,
                                                problems={"login": 2.0}) for i in active}
    started = time.perf_counter()
    detector.update(bucket.replace(minute=10), observations)
    print(f"live: one tick of {services} services from {len(observations)} BucketObservation records: "
          f"{(time.perf_counter() - started) * 1e3:.0f} ms")
    sizes = [len(detector.state_bytes(names[i])) for i in range(0, services, max(services // 100, 1))]
    print(f"state: {max(sizes)} bytes per service (target < 2048)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--live-services", type=int, default=100_000)
    args = parser.parse_args()
    replay_speed(args.services, args.days)
    live_tick(args.live_services)


if __name__ == "__main__":
    main()
