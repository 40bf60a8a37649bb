"""Sustained ``POST /v1/reports`` through NATS JetStream: 2 API role processes, 1 writer, 1 nats-server.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/nats_throughput.py [--duration 60] [--connections 64] [--apis 2]

Creates a throw-away database (and, without NATS_URL, a throw-away ``nats-server -js``), starts
``serve --role api`` twice and ``serve --role write`` once, and has one wrk per API process post
reports from distinct clients (benchmarks/wrk/reports.lua). Afterwards it waits for the writer to
drain the stream and counts in PostgreSQL: every 202 that said ``counted`` must be exactly one row in
``signals`` and one unit in ``counts`` (none lost, none counted twice).
Targets (issue 14): >= 10,000 accepted reports/s sustained for 60 s, p99 of the 202 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from nats_roles import Role, cpu_seconds, environment, nats_server, throwaway_database  # noqa: E402

from downwatch.config import load_settings  # noqa: E402
from downwatch.runtime.bus.connection import connect as connect_bus  # noqa: E402
from downwatch.runtime.bus.names import STREAM, WRITER_DURABLE  # noqa: E402
from downwatch.store.pool import connect  # noqa: E402

SCRIPT = ROOT / "benchmarks" / "wrk" / "reports.lua"
SLUGS = ("bt", "github", "gitlab", "adyen", "airbnb", "akamai", "amazon", "netflix")


async def drained(dsn: str, nats_url: str) -> tuple[int, int, float]:
    """Wait until the writer has stored everything; (rows, counted units, seconds waited)."""
    bus = await connect_bus(load_settings(environ={}, database_url=dsn, nats_url=nats_url))
    started = time.monotonic()
    try:
        last_seq = -1
        while True:  # drained, and nothing published since the last look (requests still in flight)
            info = await bus.js.consumer_info(STREAM, WRITER_DURABLE)
            stream_seq = (await bus.js.stream_info(STREAM)).state.last_seq
            if info.num_pending == 0 and info.num_ack_pending == 0 and stream_seq == last_seq:
                break
            last_seq = stream_seq
            await asyncio.sleep(0.5)
    finally:
        await bus.close()
    waited = time.monotonic() - started
    conn = await connect(dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):  # one snapshot
            rows = await conn.fetchval("SELECT count(*) FROM signals WHERE kind = 'report'")
            counted = await conn.fetchval("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = 'report'")
        return int(rows), int(counted), waited
    finally:
        await conn.close()


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on this machine (the server's own and every backend, ours and any
    other user's): what storing the reports cost the server, as far as /proc can tell."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def nats_pids(url: str) -> list[int]:
    """The local nats-server listening on ``url``'s port (none when NATS runs elsewhere)."""
    port = url.rsplit(":", 1)[-1]
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "nats-server":
                    continue
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if port.encode() in args:
                pids.append(int(entry.name))
    return pids


def grab(pattern: str, out: str) -> str:
    match = re.search(pattern, out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return match.group(1)


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(value)
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[match.group(2)]


def main() -> int:
    parser = argparse.ArgumentParser(description="POST /v1/reports through NATS JetStream into PostgreSQL")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64, help="wrk connections per API process")
    parser.add_argument("--apis", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("nats_throughput: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    with throwaway_database("downwatch_bench_nats") as dsn, nats_server() as nats_url:
        env = environment(dsn, nats_url, report_rate_per_minute="1000000",
                          report_global_rate_per_second="1000000", nats_partitions=str(args.partitions),
                          nats_ack_timeout_seconds="2", trusted_proxies="127.0.0.1")
        writer = Role("write", env)
        apis = [Role("api", env) for _ in range(args.apis)]
        try:
            for role in (writer, *apis):
                role.wait_ready()
            processes = {"api": [a.process.pid for a in apis], "write": [writer.process.pid],
                         "nats-server": nats_pids(nats_url), "postgres": postgres_pids()}
            before = {name: sum(cpu_seconds(p) for p in pids) for name, pids in processes.items()}
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            runs = [subprocess.Popen(
                ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "-s", str(SCRIPT),
                 api.url, "--", f"{uuid.uuid4().hex[:8]}-{i}", *SLUGS], stdout=subprocess.PIPE, text=True)
                for i, api in enumerate(apis)]
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            outputs = [run.communicate()[0] for run in runs]
            elapsed = time.monotonic() - started
            load_after = os.getloadavg()[0]
            used = {name: sum(cpu_seconds(p) for p in pids) - before[name]
                    for name, pids in processes.items()}
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            used["wrk"] = (children.ru_utime + children.ru_stime
                           - children_before.ru_utime - children_before.ru_stime)
            rows, counted_units, waited = asyncio.run(drained(dsn, nats_url))
        finally:
            for role in (*apis, writer):
                role.stop()
    accepted = sum(int(grab(r"accepted (\d+)", out)) for out in outputs)
    counted = sum(int(grab(r"counted (\d+)", out)) for out in outputs)
    other = sum(int(grab(r"other (\d+)", out)) for out in outputs)
    p99s = [to_ms(grab(r"^\s+99%\s+(\S+)", out)) for out in outputs]
    p50s = [to_ms(grab(r"^\s+50%\s+(\S+)", out)) for out in outputs]
    rate = accepted / args.duration
    print(f"POST /v1/reports through NATS JetStream: {args.apis} API role processes, 1 writer, "
          f"{args.partitions} partitions, wrk -t1 -c{args.connections} -d{args.duration}s per API "
          f"({elapsed:.1f} s), distinct clients")
    print(f"  machine load average (1 min) before/after: {load_before:.2f} / {load_after:.2f} "
          f"({os.cpu_count()} cores, shared)")
    print(f"  answered 202:               {accepted:,} ({rate:,.0f}/s)")
    print(f"  of which counted:           {counted:,}")
    print(f"  other statuses:             {other:,}")
    print(f"  latency p50 per API (ms):   {', '.join(f'{v:.1f}' for v in p50s)}")
    print(f"  latency p99 per API (ms):   {', '.join(f'{v:.1f}' for v in p99s)}")
    print(f"  writer drained the stream   {waited:.1f} s after wrk stopped")
    print("  CPU during the run (cores): " + ", ".join(f"{name} {seconds / elapsed:.2f}"
                                                     for name, seconds in used.items())
          + f"; API CPU per accepted report {1e6 * used['api'] / max(1, accepted):.0f} us, all of the "
          f"above {1e6 * sum(used.values()) / max(1, accepted):.0f} us (postgres: every postgres process "
          "on the machine)")
    print(f"  rows in signals:            {rows:,}; units in counts: {counted_units:,}")
    lost, doubled = max(0, counted - rows), max(0, counted_units - rows)
    print(f"  lost (counted 202, no row): {lost}; counted twice (counts > rows): {doubled}; "
          f"stored without a counted 202 (e.g. answered 503): {max(0, rows - counted)}")
    print(f"  target >= 10,000 accepted/s: {'met' if rate >= 10_000 else 'NOT met'}; "
          f"p99 < 50 ms: {'met' if max(p99s) < 50 else 'NOT met'}")
    return 0 if lost == 0 and doubled == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
