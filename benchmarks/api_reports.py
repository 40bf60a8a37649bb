"""Sustained ``POST /v1/reports`` into PostgreSQL, measured with wrk, then checked in the database.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/api_reports.py [--duration 15] [--connections 64]

Creates a throw-away database on that server, starts one downwatch API process on it, and has wrk
post reports from distinct clients (each request its own network in X-Forwarded-For, the API
trusting the local proxy: benchmarks/wrk/reports.lua).
Every 202 must be a row in ``signals`` afterwards: none lost. Target: >= 2,000 accepted reports/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from api_read import free_port, start, stop, wait_for  # noqa: E402

from api.tuning import ApiTuning  # noqa: E402
from downwatch.store.databases import create_migrated_database, drop_database, with_database  # noqa: E402
from downwatch.store.pool import connect  # noqa: E402

SCRIPT = ROOT / "benchmarks" / "wrk" / "reports.lua"
SLUGS = ("bt", "github", "gitlab", "adyen", "airbnb")


async def stored_reports(dsn: str) -> tuple[int, int]:
    conn = await connect(dsn)
    try:
        rows = await conn.fetchval("SELECT count(*) FROM signals WHERE kind = 'report'")
        counted = await conn.fetchval("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = 'report'")
        return int(rows), int(counted)
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="POST /v1/reports throughput into PostgreSQL")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report-writers", type=int, default=ApiTuning().report_writers)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("api_reports: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    admin_dsn = with_database(server, "postgres")
    name = f"downwatch_bench_reports_{uuid.uuid4().hex[:8]}"
    dsn = asyncio.run(create_migrated_database(admin_dsn, name))
    port = free_port()
    process = start([sys.executable, str(ROOT / "benchmarks" / "api_server.py"), "--port", str(port),
                     "--database-url", dsn, "--report-writers", str(args.report_writers),
                     "--trusted-proxy", "127.0.0.1"])
    try:
        wait_for(f"http://127.0.0.1:{port}/v1/services/bt")
        started = time.monotonic()
        out = subprocess.run(
            ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
             "-s", str(SCRIPT), f"http://127.0.0.1:{port}", "--", uuid.uuid4().hex[:8], *SLUGS],
            capture_output=True, text=True, check=True).stdout
        elapsed = time.monotonic() - started
        time.sleep(1.0)  # let requests still in flight when wrk stopped reach their COMMIT
    finally:
        stop(process)
    try:
        rows, counted_in_counts = asyncio.run(stored_reports(dsn))
    finally:
        asyncio.run(drop_database(admin_dsn, name))

    def grab(pattern: str) -> str:
        match = re.search(pattern, out, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"unexpected wrk output:\n{out}")
        return match.group(1)

    accepted, counted = int(grab(r"accepted (\d+)")), int(grab(r"counted (\d+)"))
    other = int(grab(r"other (\d+)"))
    rate = float(grab(r"Requests/sec:\s+([\d.]+)"))
    p99 = grab(r"^\s+99%\s+(\S+)")
    print(f"POST /v1/reports, one API process ({args.report_writers} writer tasks), "
          f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s ({elapsed:.1f} s), "
          f"distinct clients, PostgreSQL at {admin_dsn.rsplit('@', 1)[-1]}")
    print(f"  answered 202:              {accepted:,} ({accepted / args.duration:,.0f}/s; "
          f"wrk {rate:,.0f} req/s, p99 {p99})")
    print(f"  of which counted:          {counted:,}")
    print(f"  other statuses:            {other:,}")
    print(f"  rows in signals afterwards: {rows:,} (per-bucket counts say {counted_in_counts:,})")
    lost = max(0, counted - rows)
    print(f"  lost (202 counted, no row): {lost}  -> {'none lost' if lost == 0 else 'LOST REPORTS'}")
    print(f"  target >= 2,000 accepted/s: {'met' if accepted / args.duration >= 2000 else 'NOT met'}")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
