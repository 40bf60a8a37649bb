"""The demo's feeder: the scenario's minutes through the real pipeline into the store, in its own process.

Generating the scenario, classifying its posts and storing the signals is most of the demo's start-up
work, and none of it needs the detector; in a second process it runs on the other core while the
demo's detector scores what is already stored. ``FeedProcess`` (the demo's side) starts

    python -m downwatch.runtime.demo_feed

and talks to it in JSON lines. On stdin: first the job (store, key, scenario), then one
``{"until": "<ISO time>"}`` per request. On stdout: ``{"fed_until": …, "stored": n}`` after each chunk
is committed (a long request is stored in chunks, so scoring can follow), ``{"done": …}`` when a
request is complete, or ``{"error": "…"}`` before the process exits. The scenario's random draws and
the pipeline's duplicate filter live in this one process, so the stored data is the same whatever
the chunks: the scenario draws a minute at a time, and a minute is generated once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from downwatch.errors import StoreUnavailable

FIRST_CHUNK_MINUTES = 120
"""The first chunk is small, so the detector starts scoring early."""
LARGEST_CHUNK_MINUTES = 1440
"""Chunks then double up to a day: a larger batch classifies each repeated text once."""
CLOSE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class FeedJob:
    dsn: str
    hash_key: str
    catalog_path: str | None
    history_days: int
    seed: int
    bucket_seconds: int
    report_window_seconds: int


def chunks(start: datetime, until: datetime, fed_since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Whole-minute chunks from ``start`` to ``until``: each as long as everything fed since
    ``fed_since`` so far, between ``FIRST_CHUNK_MINUTES`` and ``LARGEST_CHUNK_MINUTES``."""
    at = start
    while at < until:
        fed = int((at - fed_since).total_seconds() // 60)
        size = min(LARGEST_CHUNK_MINUTES, max(FIRST_CHUNK_MINUTES, fed))
        end = min(until, at + timedelta(minutes=size))
        yield at, end
        at = end


async def _serve(job: FeedJob, lines: IO[str], say: Callable[[dict[str, Any]], None]) -> None:
    from downwatch.catalog import load_catalog
    from downwatch.runtime.scenario import bt_outage, scenario_names
    from downwatch.store.pool import connect
    from downwatch.store.signals import bucket_of, insert_signals
    from ingest.sources.routing import default_pipeline

    catalog = load_catalog(Path(job.catalog_path) if job.catalog_path else None)
    scenario = bt_outage(history_days=job.history_days, seed=job.seed)
    scenario_names(catalog, scenario)
    pipeline = default_pipeline(catalog, job.hash_key, job.report_window_seconds)
    conn = None
    fed_until = scenario.start
    try:
        for line in lines:
            until = bucket_of(datetime.fromisoformat(json.loads(line)["until"]), 60)
            conn = conn or await connect(job.dsn)
            for begin, end in chunks(fed_until, until, scenario.start):
                observations = [o for minute in scenario.observations(begin, end) for o in minute]
                signals = pipeline.signals(observations)
                stored = await insert_signals(conn, signals, bucket_seconds=job.bucket_seconds,
                                              parents=catalog.parents())
                fed_until = end
                say({"fed_until": end.isoformat(), "stored": stored})
            say({"done": fed_until.isoformat()})
    finally:
        if conn is not None:
            await conn.close()


def main() -> int:
    def say(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    try:
        job = FeedJob(**json.loads(sys.stdin.readline()))
        asyncio.run(_serve(job, sys.stdin, say))
    except Exception as exc:  # the demo reports it; this process only says what it was
        say({"error": " ".join(f"{type(exc).__name__}: {exc}".split())})
        return 1
    return 0


class FeedProcess:
    """The demo's side of the feeder: ``feed(until)`` stores the scenario's minutes up to ``until``."""

    def __init__(self, process: asyncio.subprocess.Process, start: datetime) -> None:
        self._process = process
        self._lock = asyncio.Lock()
        self.fed_until = start

    @classmethod
    async def start(cls, job: FeedJob, start: datetime) -> FeedProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "downwatch.runtime.demo_feed",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        feeder = cls(process, start)
        await feeder._send(asdict(job))
        return feeder

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write((json.dumps(message) + "\n").encode())
        await self._process.stdin.drain()

    async def _receive(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = await self._process.stdout.readline()
        message: dict[str, Any] = json.loads(line) if line.strip() else {
            "error": f"it stopped (exit {await self._process.wait()})"}
        if "error" in message:
            raise StoreUnavailable(f"the demo's feeder failed: {message['error']}")
        return message

    async def feed(self, until: datetime,
                   stored: Callable[[datetime], Awaitable[object]] | None = None) -> int:
        """Store every whole minute that ended by ``until``; ``stored`` is awaited after each chunk
        with the time fed up to. Returns how many signals were stored."""
        async with self._lock:
            await self._send({"until": until.isoformat()})
            total = 0
            while "done" not in (message := await self._receive()):
                self.fed_until = datetime.fromisoformat(message["fed_until"])
                total += int(message["stored"])
                if stored is not None:
                    await stored(self.fed_until)
            self.fed_until = datetime.fromisoformat(message["done"])
            return total

    async def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()


if __name__ == "__main__":
    raise SystemExit(main())
