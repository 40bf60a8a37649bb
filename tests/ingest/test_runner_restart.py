"""Nothing lost, nothing doubled: the ingester is SIGKILLed mid-stream and restarted.

The runner runs as its own process (``downwatch serve --role ingest``) against a fake Jetstream serving
a fixed stream and a real PostgreSQL; the test counts signals and per-bucket counts afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from downwatch.catalog import load_catalog
from ingest.sources.bluesky import parse_events
from ingest.sources.routing import default_pipeline
from tests.fakes.jetstream import FakeJetstream, post_event
from tests.fakes.server import serving_in_thread

HASH_KEY = "restart-test-key"
EVENTS = 1200
NAMES = ["BT", "Netflix", "Gmail", "Discord", "Outlook", "Barclays", "Virgin Media", "Spotify"]
TEMPLATES = ["is {} down? can't log in", "{} not loading for anyone else?", "{} app keeps crashing",
             "lovely day, nothing to do with {}", "{} outage again, no internet since 8am"]


def stream() -> list[str]:
    return [json.dumps(post_event(i, TEMPLATES[i % len(TEMPLATES)].format(NAMES[i % len(NAMES)])))
            for i in range(EVENTS)]


def expected_signals(events: list[str]) -> set[str]:
    pipeline = default_pipeline(load_catalog(), HASH_KEY)
    return {s.external_id for s in pipeline.signals(parse_events(events).observations)}


async def stored(dsn: str) -> tuple[list[str], int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT external_id, service FROM signals WHERE source = 'bluesky'")
        counted = await conn.fetchval("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = 'post'")
        parents = load_catalog().parents()
        rolled_up = sum(1 for row in rows if row["service"] in parents)  # also counted for the parent
        return [row["external_id"] for row in rows], int(counted) - rolled_up
    finally:
        await conn.close()


def start_runner(config: Path, dsn: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": dsn, "DOWNWATCH_HASH_KEY": HASH_KEY}
    return subprocess.Popen([sys.executable, "-m", "downwatch", "--config", str(config), "serve", "--role",
                             "ingest", "--port", "0"],
                            env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def wait_for(dsn: str, condition: str, predicate: object, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = len(asyncio.run(stored(dsn))[0])
        if predicate(count):  # type: ignore[operator]
            return count
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {condition}; {count} signals stored")


def test_sigkill_mid_stream_then_restart_loses_and_doubles_nothing(fresh_database_url: str,
                                                                   tmp_path: Path) -> None:
    events = stream()
    expected = expected_signals(events)
    assert len(expected) > EVENTS // 2  # most posts are reports, so the count means something
    fake = FakeJetstream(events=list(events), pace_seconds=0.004)
    log = tmp_path / "runner.log"
    with serving_in_thread(fake.app()) as url:
        config = tmp_path / "ingest.toml"
        config.write_text(f'[sources.bluesky]\nurl = "{url.replace("http", "ws")}/subscribe"\n'
                          "batch_seconds = 0.1\nidle_timeout = 3\n")
        first = start_runner(config, fresh_database_url, log)
        try:
            before_kill = wait_for(fresh_database_url, "the first signals", lambda n: n >= 100, 60)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert before_kill < len(expected), "the stream ended before the kill; slow the fake down"
        second = start_runner(config, fresh_database_url, log)
        try:
            wait_for(fresh_database_url, "the whole stream", lambda n: n >= len(expected), 90)
            time.sleep(1.0)  # anything extra would arrive now
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    ids, counted = asyncio.run(stored(fresh_database_url))
    assert len(ids) == len(set(ids)) == len(expected), log.read_text()[-2000:]
    assert set(ids) == expected
    assert counted == len(expected)  # the per-bucket counts were not doubled either
    assert len(fake.connections) >= 2 and fake.connections[1]["cursor"] is not None
    assert second.returncode == 0
