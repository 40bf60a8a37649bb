"""JetStream publishes with acknowledgement, as an API process makes them: ``AckMux`` against nats-py's
own ``js.publish``, at 1, 8 and 64 concurrent publishers, on a throw-away nats-server.

    .venv/bin/python benchmarks/nats_publish.py [--messages 10000]

Prints acknowledged publishes per second, the client's CPU (cores) and the latency p50/p99 of each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from downwatch.config import load_settings  # noqa: E402
from downwatch.runtime.bus.ack_mux import AckMux  # noqa: E402
from downwatch.runtime.bus.connection import connect  # noqa: E402
from downwatch.runtime.bus.local_server import LocalNats  # noqa: E402

PAYLOAD = b"x" * 400  # about one encoded report


async def run(url: str, how: str, concurrency: int, messages: int) -> str:
    bus = await connect(load_settings(environ={}, nats_url=url))
    try:
        publish: Callable[[str], Awaitable[object]]
        if how == "AckMux":
            mux = AckMux(bus.nc)
            await mux.start()

            def publish(msg_id: str) -> Awaitable[object]:
                return mux.publish("signals.1", PAYLOAD, {"Nats-Msg-Id": msg_id}, 5.0)
        else:
            def publish(msg_id: str) -> Awaitable[object]:
                return bus.js.publish("signals.1", PAYLOAD, timeout=5.0, headers={"Nats-Msg-Id": msg_id})
        latencies: list[float] = []
        numbers = iter(range(messages))
        run_id = uuid.uuid4().hex[:8]

        async def worker() -> None:
            for i in numbers:
                began = time.perf_counter()
                await publish(f"{run_id}-{i}")
                latencies.append(time.perf_counter() - began)

        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - began
        latencies.sort()
        p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
        return (f"  {how:<10} {concurrency:>3} concurrent: {messages / wall:>8,.0f}/s, client CPU "
                f"{(time.process_time() - cpu) / wall:.2f} cores, p50 {1000 * p50:.2f} ms, "
                f"p99 {1000 * p99:.2f} ms")
    finally:
        await bus.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="acknowledged JetStream publishes per second")
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with LocalNats() as server:
        print(f"JetStream publishes with Nats-Msg-Id, {len(PAYLOAD)}-byte payloads, one local nats-server")
        for how in ("AckMux", "js.publish"):
            for concurrency in (1, 8, 64):
                print(asyncio.run(run(server.url, how, concurrency, args.messages)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
