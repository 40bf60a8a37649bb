"""Nothing acknowledged is lost or counted twice: ``kill -9`` of ``downwatch serve`` under load, and
PostgreSQL restarted mid-tick.

    .venv/bin/python benchmarks/crash_trials.py [--trials 25] [--seconds 3] [--clients 50]
    .venv/bin/python benchmarks/crash_trials.py --pg-restarts [--trials 25]

A PostgreSQL of the benchmark's own (``tests/e2e/own_postgres.py``: a throw-away server in a temporary
directory, never the shared one) holds a fresh migrated database. Each trial starts a real ``downwatch
serve`` subprocess (no sources; 5 s buckets, a detector tick every second) and has ``--clients``
concurrent clients POST reports to it over real HTTP for ``--seconds``:

* every client of every trial has an address of its own (it binds ``127.T.C.1``: trial T, client C,
  so each is a different /24 network too) and posts each catalog service once, in its own order, so
  every report is a new (client, service, window) and should be answered ``counted: true``;
* at a random moment inside the trial the server is killed with SIGKILL (default), or
  (``--pg-restarts``) PostgreSQL is restarted with ``pg_ctl stop -m immediate`` — as soon as a
  detector tick is seen writing (a backend inside a transaction on ``scores``/``detector_state``),
  else at the random moment — while the server keeps running;
* at the start of the next trial, every report of the previous one that got no answer is retried
  once from the same address (a client retrying after a lost answer): it must answer 202 and, if the
  first attempt was stored, ``counted: false``.

After the trials the server is started once more and left to score every closed bucket. Checked in
PostgreSQL: every id acknowledged with 202 is stored (lost = 0), exactly once (duplicated = 0), no id
was answered ``counted: true`` twice, the per-bucket ``counts`` agree with the stored rows, and every
bucket holding reports has a score (unscored = 0: on a fresh database the first minute before a crash
was once never scored).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from downwatch.catalog import load_catalog  # noqa: E402
from downwatch.store.databases import create_migrated_database  # noqa: E402
from downwatch.store.pool import connect  # noqa: E402
from tests.e2e.own_postgres import OwnPostgres  # noqa: E402
from tests.e2e.serve_process import ServeProcess, child_environment, http_get, wait_for  # noqa: E402

BUCKET_SECONDS = 5
PROBLEMS = ("login", "website", "app", "email", "billing", "payments", "connection")
TICK_TABLES = ("scores", "detector_state", "verdicts")


@dataclass
class Ledger:
    """What the clients were told."""

    acknowledged: dict[str, int] = field(default_factory=dict)  # id -> times answered 202
    counted_true: Counter[str] = field(default_factory=Counter)
    counted_false: int = 0
    retried: int = 0
    retried_counted_false: int = 0
    unanswered: list[tuple[str, str, str]] = field(default_factory=list)  # (address, service, problem)
    refused: Counter[int] = field(default_factory=Counter)
    answered: int = 0

    def record(self, document: dict[str, Any]) -> None:
        report_id = document["id"]
        self.acknowledged[report_id] = self.acknowledged.get(report_id, 0) + 1
        if document["counted"]:
            self.counted_true[report_id] += 1
        else:
            self.counted_false += 1


async def post(session: aiohttp.ClientSession, url: str, service: str, problem: str
               ) -> tuple[int, dict[str, Any] | None]:
    async with session.post(f"{url}/v1/reports", json={"service": service, "problem": problem},
                            headers={"User-Agent": "crash-trials/1"}) as response:
        body = await response.json(content_type=None)
        return response.status, body


def session_from(address: str) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=1, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10))


async def client(url: str, address: str, services: list[str], stop_at: float, ledger: Ledger,
                 rng: random.Random) -> None:
    order = services[:]
    rng.shuffle(order)
    async with session_from(address) as session:
        for service in order:
            if time.monotonic() >= stop_at:
                return
            problem = rng.choice(PROBLEMS)
            try:
                status, body = await post(session, url, service, problem)
            except (TimeoutError, aiohttp.ClientError, ValueError):
                ledger.unanswered.append((address, service, problem))
                return  # the server is gone (or going): this client's trial is over
            ledger.answered += 1
            if status == 202 and body is not None:
                ledger.record(body)
            else:
                ledger.refused[status] += 1
                if status == 503:
                    ledger.unanswered.append((address, service, problem))
                    await asyncio.sleep(0.2)


async def retry_unanswered(url: str, pending: list[tuple[str, str, str]], ledger: Ledger) -> None:
    async def one(address: str, service: str, problem: str) -> None:
        async with session_from(address) as session:
            for _ in range(20):
                try:
                    status, body = await post(session, url, service, problem)
                except (TimeoutError, aiohttp.ClientError, ValueError):
                    await asyncio.sleep(0.5)
                    continue
                if status == 202 and body is not None:
                    ledger.retried += 1
                    ledger.retried_counted_false += 0 if body["counted"] else 1
                    ledger.record(body)
                    return
                await asyncio.sleep(0.5)

    await asyncio.gather(*(one(*item) for item in pending))


async def tick_in_flight(dsn: str) -> bool:
    """Whether a backend is inside a transaction writing the detector's tables right now."""
    conn = await connect(dsn)
    try:
        rows = await conn.fetch("SELECT query FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                                "AND xact_start IS NOT NULL AND datname = current_database()")
    finally:
        await conn.close()
    return any(any(table in (row["query"] or "") for table in TICK_TABLES) for row in rows)


async def restart_mid_tick(own: OwnPostgres, dsn: str, not_after: float) -> bool:
    """Restart PostgreSQL as soon as a tick is seen writing (True), or at ``not_after`` (False)."""
    caught = False
    while time.monotonic() < not_after:
        try:
            if await tick_in_flight(dsn):
                caught = True
                break
        except (OSError, Exception):  # the server may be refusing while it starts
            pass
        await asyncio.sleep(0.005)
    await asyncio.to_thread(own.restart, "immediate")
    return caught


async def trial(number: int, serve: ServeProcess, services: list[str], args: argparse.Namespace,
                ledger: Ledger, rng: random.Random, own: OwnPostgres, dsn: str) -> dict[str, Any]:
    pending, ledger.unanswered = ledger.unanswered, []
    await retry_unanswered(serve.url, pending, ledger)
    began = time.monotonic()
    stop_at = began + args.seconds
    strike_at = began + rng.uniform(0.4, 0.9) * args.seconds
    clients = [client(serve.url, f"127.{number + 1}.{c + 1}.1", services, stop_at, ledger,
                      random.Random(rng.random())) for c in range(args.clients)]
    outcome: dict[str, Any] = {"retried": len(pending)}

    async def strike() -> None:
        if args.pg_restarts:
            window_end = min(stop_at, strike_at + 1.0)
            await asyncio.sleep(max(0.0, strike_at - 0.6 - time.monotonic()))
            outcome["mid_tick"] = await restart_mid_tick(own, dsn, window_end)
        else:
            await asyncio.sleep(max(0.0, strike_at - time.monotonic()))
            serve.process.send_signal(signal.SIGKILL)
            serve.process.wait(10)

    await asyncio.gather(strike(), *clients)
    return outcome


async def stored(dsn: str) -> dict[str, Any]:
    conn = await connect(dsn)
    try:
        rows = await conn.fetch("SELECT external_id, count(*) AS n FROM signals WHERE source = 'report' "
                                "GROUP BY external_id")
        keys = await conn.fetchval("SELECT count(*) FROM signal_keys WHERE source = 'report' "
                                   "AND external_id NOT LIKE 'claim:%'")
        counted_rows = await conn.fetchval("SELECT count(*) FROM signals WHERE source = 'report' AND counted")
        counted = await conn.fetchval("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = 'report'")
        unscored = await conn.fetch(
            "SELECT c.service, c.bucket FROM (SELECT DISTINCT service, bucket FROM counts "
            "WHERE kind = 'report') c LEFT JOIN scores s ON s.service = c.service AND s.bucket = c.bucket "
            "WHERE s.service IS NULL ORDER BY c.bucket")
        last_scored = await conn.fetchval("SELECT max(bucket) FROM scores")
        last_counted = await conn.fetchval("SELECT max(bucket) FROM counts")
    finally:
        await conn.close()
    return {"ids": {r["external_id"]: int(r["n"]) for r in rows}, "keys": int(keys), "counted": int(counted),
            "counted_rows": int(counted_rows),
            "unscored": [(r["service"], r["bucket"]) for r in unscored], "last_scored": last_scored,
            "last_counted": last_counted}


def start_serve(env: dict[str, str], work: Path) -> ServeProcess:
    config = work / "serve.toml"
    if not config.exists():
        config.write_text("report_window_seconds = 86400\nreport_rate_per_minute = 1000000\n"
                          "report_global_rate_per_second = 1000000\n")
    return ServeProcess(config, env, work / "serve.log")


def ready(serve: ServeProcess) -> bool:
    answer = http_get(serve.url + "/healthz", timeout=5)
    return answer.status in (200, 503)


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    services = list(load_catalog().slugs)
    work = Path(tempfile.mkdtemp(prefix="downwatch-crash-trials-"))
    with OwnPostgres() as own:
        dsn = await create_migrated_database(own.admin_dsn, "crash_trials")
        env = child_environment(DATABASE_URL=dsn, DOWNWATCH_HASH_KEY="crash-trials-hash-key-0123456789",
                                DOWNWATCH_BUCKET_SECONDS=str(BUCKET_SECONDS), DOWNWATCH_TICK_SECONDS="1",
                                DOWNWATCH_LOG_LEVEL="WARNING")
        ledger = Ledger()
        mode = ("PostgreSQL restarted (immediate) mid-tick" if args.pg_restarts
                else "serve killed with SIGKILL")
        print(f"{args.trials} trials x {args.seconds:g} s x {args.clients} clients; {mode}; "
              f"{len(services)} services; seed {args.seed}", flush=True)
        serve = start_serve(env, work)
        mid_tick = 0
        try:
            for number in range(args.trials):
                if serve.process.poll() is not None:
                    serve = start_serve(env, work)
                wait_for("serve to answer", lambda s=serve: ready(s), timeout=60)
                before = len(ledger.acknowledged)
                outcome = await trial(number, serve, services, args, ledger, rng, own, dsn)
                mid_tick += bool(outcome.get("mid_tick"))
                print(f"trial {number + 1:>2}: {len(ledger.acknowledged) - before:>5} new ids acknowledged, "
                      f"{outcome['retried']:>3} retried, {len(ledger.unanswered):>3} unanswered"
                      + (f", restart mid-tick: {outcome['mid_tick']}" if args.pg_restarts else ""),
                      flush=True)
            if serve.process.poll() is not None:
                serve = start_serve(env, work)
            wait_for("serve to answer", lambda: ready(serve), timeout=60)
            pending, ledger.unanswered = ledger.unanswered, []
            await retry_unanswered(serve.url, pending, ledger)
            print(f"final retries: {len(pending)}", flush=True)
            deadline_bucket = time.time()

            async def all_scored() -> bool:
                state = await stored(dsn)
                last = state["last_scored"]
                return last is not None and last.timestamp() >= deadline_bucket
            while not await all_scored():
                if serve.process.poll() is not None:
                    raise SystemExit(f"serve exited:\n{serve.output()[-3000:]}")
                await asyncio.sleep(1)
        finally:
            if serve.process.poll() is None:
                serve.terminate(30)
        state = await stored(dsn)
        log = (work / "serve.log").read_text(errors="replace")
    shutil.rmtree(work, ignore_errors=True)
    ids = state["ids"]
    lost = [i for i in ledger.acknowledged if i not in ids]
    duplicated_rows = sum(n - 1 for n in ids.values() if n > 1)
    counted_twice = sum(1 for n in ledger.counted_true.values() if n > 1)
    rows = sum(ids.values())
    stored_unacknowledged = len([i for i in ids if i not in ledger.acknowledged])
    tracebacks = log.count("Traceback")
    print(f"acknowledged ids (202): {len(ledger.acknowledged)}  answered counted:true: "
          f"{sum(ledger.counted_true.values())}  counted:false: {ledger.counted_false}")
    print(f"retried after a lost answer: {ledger.retried} (answered counted:false: "
          f"{ledger.retried_counted_false}); refusals by status: {dict(ledger.refused)}")
    print(f"stored report rows: {rows} (counted {state['counted_rows']})  signal_keys: {state['keys']}  "
          f"counts.n sum: {state['counted']}  stored but never acknowledged: {stored_unacknowledged}")
    print(f"lost: {len(lost)}  duplicated rows: {duplicated_rows}  ids counted:true twice: {counted_twice}  "
          f"counts - counted rows: {state['counted'] - state['counted_rows']}  keys - rows: "
          f"{state['keys'] - rows}  counted:true answers - counted rows: "
          f"{len(ledger.counted_true) - state['counted_rows']}")
    print(f"buckets with reports but no score: {len(state['unscored'])}"
          + (f" (first {state['unscored'][0][0]} {state['unscored'][0][1].isoformat()})"
             if state["unscored"] else ""))
    if args.pg_restarts:
        print(f"restarts that caught a tick writing: {mid_tick}/{args.trials}")
    print(f"tracebacks in the server log: {tracebacks}")
    bad = (lost or duplicated_rows or counted_twice or state["counted"] != state["counted_rows"]
           or state["keys"] != rows or state["unscored"])
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--pg-restarts", action="store_true",
                        help="restart PostgreSQL mid-tick instead of killing serve")
    args = parser.parse_args()
    if args.trials > 250 or args.clients > 250:
        parser.error("at most 250 trials and 250 clients (each gets an address 127.T.C.1)")
    return asyncio.run(run(args))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
