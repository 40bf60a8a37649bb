"""Sybil trial against a real ``downwatch serve`` and a real PostgreSQL: can a few clients fake an
outage, and is a genuine spike still seen?

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/sybil.py [--flood 100000] [--observe 300]

Creates a throw-away database, stores a synthetic quiet history (Poisson, ``--quiet-rate`` reports
a minute, ``--history-hours``) for three catalog services and scores it with the detector in this
process, so ``serve`` starts from warmed-up detector state. Then ``serve`` runs (bucket 60 s, tick
5 s, trusting 127.0.0.1 for X-Forwarded-For, everything else default); once all three services
are ``up``, at the same time:

  flood    ``--flood`` reports (default 100,000) from 10 identities (ten IPv4 /24 networks, each
           request a fresh User-Agent) against service A, as fast as 64 connections go;
  agents   300 reports from one address, each with its own User-Agent, over 3 minutes, service B;
  genuine  300 reports from 300 distinct networks (a /24 each) within 60 s, service C.

Every second it reads each service's verdict over HTTP. It prints what each scenario's requests
were answered (202 counted / 202 not counted / 429 / other), the verdicts seen, the rows and
counted rows in PostgreSQL, and the seconds from the genuine spike's first report to C leaving
``up``. Targets (issue 11): A and B never leave ``up``; C detected within 180 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from downwatch.records import Kind, Problem, Signal  # noqa: E402
from downwatch.runtime.ticker import DetectorTicker  # noqa: E402
from downwatch.store.databases import create_migrated_database, drop_database, with_database  # noqa: E402
from downwatch.store.pool import create_pool  # noqa: E402
from downwatch.store.report_tallies import report_tallies  # noqa: E402
from downwatch.store.signals import bucket_of, insert_signals  # noqa: E402
from ingest.sources.reports import SOURCE_NAME  # noqa: E402

BUCKET_SECONDS = 60
HASH_KEY = "sybil-benchmark-key-" + "k" * 16
OUTSIDE_SETTINGS = ("DATABASE_URL", "NATS_URL", "DOWNWATCH_", "praw_")
SERVICES = {"flood": "github", "agents": "gitlab", "genuine": "bitbucket"}


@dataclass
class Tally:
    answers: Counter[str] = field(default_factory=Counter)
    first_sent: float | None = None
    last_sent: float | None = None

    def record(self, status: int, body: dict[str, object] | None) -> None:
        if status == 202 and body is not None:
            self.answers["202 counted" if body.get("counted") else "202 not counted"] += 1
        else:
            self.answers[str(status)] += 1


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def seed_history(dsn: str, services: list[str], hours: float, rate: float, now: datetime,
                       rng: random.Random) -> datetime:
    """Quiet reports for ``services`` over ``hours`` before ``now``; the detector scores them here."""
    start = bucket_of(now - timedelta(hours=hours), BUCKET_SECONDS)
    end = bucket_of(now, BUCKET_SECONDS) - timedelta(seconds=BUCKET_SECONDS)
    signals: list[Signal] = []
    bucket = start
    while bucket < end:
        for service in services:
            for _ in range(_poisson(rng, rate)):
                at = bucket + timedelta(seconds=rng.uniform(0, BUCKET_SECONDS - 1))
                signals.append(Signal(service=service, kind=Kind.REPORT, problem=Problem.LOGIN,
                                      observed_at=at, source="history", external_id=uuid.uuid4().hex,
                                      weight=1.0, author_hash=uuid.uuid4().hex))
        bucket += timedelta(seconds=BUCKET_SECONDS)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await insert_signals(conn, signals, bucket_seconds=BUCKET_SECONDS)
        ticker = DetectorTicker(pool, services, bucket_seconds=BUCKET_SECONDS)
        ticker.begin_at(start)
        await ticker.advance(end + timedelta(seconds=BUCKET_SECONDS))
    finally:
        await pool.close()
    print(f"history: {len(signals):,} quiet reports over {hours:g} h for {', '.join(services)}, "
          f"scored up to {end:%H:%M} UTC")
    return end


def _poisson(rng: random.Random, rate: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -rate), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


async def post(session: aiohttp.ClientSession, base: str, service: str, address: str, agent: str,
               tally: Tally) -> None:
    now = time.monotonic()
    tally.first_sent = tally.first_sent or now
    tally.last_sent = now
    try:
        async with session.post(f"{base}/v1/reports", json={"service": service, "problem": "login"},
                                headers={"User-Agent": agent, "X-Forwarded-For": address}) as answer:
            body = await answer.json() if answer.status == 202 else None
            tally.record(answer.status, body)
    except aiohttp.ClientError as exc:
        tally.answers[type(exc).__name__] += 1


async def flood(session: aiohttp.ClientSession, base: str, total: int, tally: Tally) -> None:
    networks = [f"198.18.{k}" for k in range(10)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            await post(session, base, SERVICES["flood"], f"{networks[i % 10]}.{1 + i % 250}",
                       f"flood-agent-{i}", tally)

    await asyncio.gather(*(worker() for _ in range(64)))


async def agents(session: aiohttp.ClientSession, base: str, tally: Tally) -> None:
    for i in range(300):
        await post(session, base, SERVICES["agents"], "203.0.113.77", f"agent-{uuid.uuid4().hex}-{i}", tally)
        await asyncio.sleep(180 / 300)


async def genuine(session: aiohttp.ClientSession, base: str, delay: float, tally: Tally) -> None:
    await asyncio.sleep(delay)
    rng = random.Random(11)
    tasks = []
    for i in range(300):
        address = f"100.{64 + i // 250}.{i % 250}.{rng.randint(1, 254)}"
        tasks.append(asyncio.create_task(post(session, base, SERVICES["genuine"], address, "Mozilla/5.0",
                                              tally)))
        await asyncio.sleep(60 / 300)
    await asyncio.gather(*tasks)


async def watch(session: aiohttp.ClientSession, base: str, seconds: float,
                seen: dict[str, list[tuple[float, str]]], started: float, last: dict[str, object]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, slug in SERVICES.items():
            try:
                async with session.get(f"{base}/v1/services/{slug}") as answer:
                    ok = answer.status == 200
                    body = await answer.json() if ok else {}
                    status = str(body.get("status")) if ok else str(answer.status)
                    last[name] = body
            except aiohttp.ClientError as exc:
                status = type(exc).__name__
            history = seen.setdefault(name, [])
            if not history or history[-1][1] != status:
                history.append((time.monotonic() - started, status))
        await asyncio.sleep(1.0)


async def _until_up(session: aiohttp.ClientSession, base: str) -> None:
    """Wait for serve's first ticks (its detector restores the warmed state and compiles) until every
    trial service is ``up``: the attacks start on warmed-up quiet services."""
    waited = time.monotonic()
    while time.monotonic() - waited < 300:
        statuses = []
        for slug in SERVICES.values():
            async with session.get(f"{base}/v1/services/{slug}") as answer:
                statuses.append((await answer.json()).get("status") if answer.status == 200 else None)
        if all(status == "up" for status in statuses):
            print(f"all three services up {time.monotonic() - waited:.0f} s after serve answered")
            return
        await asyncio.sleep(1.0)
    raise RuntimeError(f"the trial services did not all become up within 300 s: {statuses}")


async def trial(base: str, args: argparse.Namespace) -> dict[str, object]:
    tallies = {name: Tally() for name in SERVICES}
    seen: dict[str, list[tuple[float, str]]] = {}
    last: dict[str, object] = {}
    connector = aiohttp.TCPConnector(limit=80)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await _until_up(session, base)
        started = time.monotonic()
        watcher = asyncio.create_task(watch(session, base, args.observe, seen, started, last))
        await asyncio.sleep(3)
        before = {name: history[-1][1] for name, history in seen.items()}
        await asyncio.gather(flood(session, base, args.flood, tallies["flood"]),
                             agents(session, base, tallies["agents"]),
                             genuine(session, base, args.genuine_delay, tallies["genuine"]))
        await watcher
    return {"tallies": tallies, "seen": seen, "before": before, "started": started, "last": last}


def main() -> int:
    parser = argparse.ArgumentParser(description="Sybil trial against downwatch serve + PostgreSQL")
    parser.add_argument("--flood", type=int, default=100_000)
    parser.add_argument("--observe", type=float, default=420.0, help="seconds of verdict watching")
    parser.add_argument("--genuine-delay", type=float, default=30.0,
                        help="seconds after the attacks start that the genuine spike begins")
    parser.add_argument("--history-hours", type=float, default=48.0)
    parser.add_argument("--quiet-rate", type=float, default=0.05, help="quiet reports per minute")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    admin_dsn = with_database(server, "postgres")
    name = f"downwatch_bench_sybil_{uuid.uuid4().hex[:8]}"
    dsn = asyncio.run(create_migrated_database(admin_dsn, name))
    process: subprocess.Popen[bytes] | None = None
    try:
        history_end = asyncio.run(seed_history(dsn, list(SERVICES.values()), args.history_hours,
                                               args.quiet_rate, datetime.now(UTC), random.Random(args.seed)))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(OUTSIDE_SETTINGS)}
        env.update({"DATABASE_URL": dsn, "DOWNWATCH_HASH_KEY": HASH_KEY, "DOWNWATCH_PORT": str(port),
                    "DOWNWATCH_TRUSTED_PROXIES": "127.0.0.1", "DOWNWATCH_LOG_LEVEL": "WARNING",
                    "DOWNWATCH_BUCKET_SECONDS": str(BUCKET_SECONDS)})
        process = subprocess.Popen([sys.executable, "-m", "downwatch", "serve"], cwd=ROOT, env=env,
                                   start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base)
        result = asyncio.run(trial(base, args))
        tallies = asyncio.run(_stored(dsn, history_end))
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        asyncio.run(drop_database(admin_dsn, name))
    return _print(result, tallies, args)


async def _stored(dsn: str, since: datetime) -> dict[str, tuple[int, int, int, int]]:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        return await report_tallies(pool, SOURCE_NAME, list(SERVICES.values()), since)
    finally:
        await pool.close()


def _wait_ready(base: str) -> None:
    import urllib.error
    import urllib.request
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/v1/services/{SERVICES['flood']}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    raise RuntimeError("serve did not answer within 60 s")


def _print(result: dict[str, object], stored: dict[str, tuple[int, int, int, int]],
           args: argparse.Namespace) -> int:
    tallies: dict[str, Tally] = result["tallies"]  # type: ignore[assignment]
    seen: dict[str, list[tuple[float, str]]] = result["seen"]  # type: ignore[assignment]
    before: dict[str, str] = result["before"]  # type: ignore[assignment]
    started: float = result["started"]  # type: ignore[assignment]
    ok = True
    for name, slug in SERVICES.items():
        tally = tallies[name]
        rows, counted, n, reporters = stored.get(slug, (0, 0, 0, 0))
        span = (tally.last_sent or 0) - (tally.first_sent or 0)
        print(f"{name:8s} {slug}: sent {sum(tally.answers.values()):,} in {span:.1f} s; "
              + ", ".join(f"{k} {v:,}" for k, v in sorted(tally.answers.items())))
        print(f"         stored rows {rows:,}, counted rows {counted:,}; "
              f"counts n {n:,}, reporters {reporters:,}")
        print(f"         verdict before: {before.get(name)}; seen: "
              + ", ".join(f"{status}@{at:.0f}s" for at, status in seen.get(name, [])))
        last = result["last"].get(name)  # type: ignore[attr-defined]
        print(f"         last verdict: {orjson.dumps(last).decode()[:400]}")
        statuses = {status for _, status in seen.get(name, [])}
        if name != "genuine":
            held = statuses == {"up"}
            ok &= held
            print(f"         never left up: {'yes' if held else 'NO'}")
        else:
            first = (tally.first_sent or started) - started
            detected = [at for at, status in seen.get(name, []) if status in ("degraded", "down")]
            if detected:
                print(f"         detected {detected[0] - first:.0f} s after the spike's first report "
                      f"(target <= 180 s): {'met' if detected[0] - first <= 180 else 'NOT met'}")
                ok &= detected[0] - first <= 180
            else:
                print(f"         NOT detected within the {args.observe:.0f} s watched")
                ok = False
    print("all targets met" if ok else "targets NOT all met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
