from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from downwatch.records import Kind, Problem, Signal
from downwatch.runtime.ticker import DetectorTicker, observations_from_rows
from downwatch.store.pool import create_pool
from downwatch.store.signals import insert_signals
from ingest.sources.structured import status_weight

T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)


def test_rows_become_observations_with_stored_conventions() -> None:
    counts = [
        {"service": "bt", "kind": "report", "problem": "login", "n": 3, "weight": 3.0, "reporters": 3},
        {"service": "bt", "kind": "post", "problem": "email", "n": 2, "weight": 1.5, "reporters": 2},
        {"service": "bt", "kind": "probe", "problem": "website", "n": 4, "weight": 1.0, "reporters": 0},
        {"service": "bt", "kind": "status", "problem": "other", "n": 1, "weight": status_weight("major"),
         "reporters": 0},
    ]
    places = [{"service": "bt", "location": "Leeds", "n": 2}]
    obs = observations_from_rows(T0, counts, places)["bt"]
    assert (obs.reports, obs.posts, obs.reporters) == (3, 1.5, 5)
    assert (obs.probe_failed, obs.probe_checks) == (1.0, 4)
    assert obs.official == "major" and obs.official_description == "Partial System Outage"
    assert obs.problems == {"login": 3, "email": 1.5} and obs.locations == {"Leeds": 2}


def _reports(service: str, minute: datetime, n: int, first_author: int = 0) -> list[Signal]:
    return [Signal(service=service, kind=Kind.REPORT, problem=Problem.LOGIN,
                   observed_at=minute + timedelta(seconds=i % 60), source="test",
                   external_id=f"{service}-{minute.isoformat()}-{i}", author_hash=f"a{first_author + i}")
            for i in range(n)]


async def test_ticker_scores_each_closed_bucket_once_and_survives_a_restart(fresh_database_url: str) -> None:
    pool = await create_pool(fresh_database_url, min_size=1, max_size=2)
    published: list[datetime] = []
    try:
        start = T0 - timedelta(days=2)
        async with pool.acquire() as conn:
            for minute in range(0, 2 * 24 * 60, 3):
                at = start + timedelta(minutes=minute)
                await insert_signals(conn, _reports("bt", at, 1, minute))
        ticker = DetectorTicker(pool, ["bt", "ee"], bucket_seconds=60,
                                publish=lambda verdicts, at: published.append(at))
        await ticker.restore(start=start)
        scored = await ticker.advance(T0 + timedelta(seconds=30))
        assert scored == 2 * 24 * 60
        assert await ticker.advance(T0 + timedelta(seconds=59)) == 0
        assert published == [T0]
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM scores WHERE service = 'bt'") == scored
            assert await conn.fetchval("SELECT count(*) FROM scores WHERE service = 'ee'") == 0
            assert await conn.fetchval("SELECT count(*) FROM detector_state") == 1
        verdict = ticker.verdicts()["bt"]
        assert verdict["status"] == "up", verdict

        async with pool.acquire() as conn:
            for minute in range(0, 20):
                minute_start = T0 + timedelta(minutes=minute)
                await insert_signals(conn, _reports("bt", minute_start, 40, 10_000 * minute))
        restarted = DetectorTicker(pool, ["bt", "ee"], bucket_seconds=60)
        await restarted.restore()
        assert restarted.last_bucket == T0 - timedelta(minutes=1)
        assert await restarted.advance(T0 + timedelta(minutes=20)) == 20
        after = restarted.verdicts()["bt"]
        assert after["status"] == "down", after
        async with pool.acquire() as conn:
            incident = await conn.fetchrow("SELECT * FROM incidents WHERE service = 'bt'")
            changes = [r["to_status"] for r in await conn.fetch(
                "SELECT to_status FROM verdict_changes WHERE service = 'bt' ORDER BY id")]
        assert incident is not None and incident["status"] == "active"
        assert incident["started_at"] <= T0 + timedelta(minutes=2)
        assert changes[-1] == "down"
    finally:
        await pool.close()



def test_a_status_page_is_what_it_said_last_in_the_bucket() -> None:
    from downwatch.runtime.ticker import latest_readings

    at = T0 + timedelta(seconds=5)
    readings = [
        {"service": "bt", "observed_at": at, "weight": 0.0, "evidence": {"indicator": "none"}},
        {"service": "bt", "observed_at": at + timedelta(seconds=30), "weight": 2 / 3,
         "evidence": {"indicator": "major", "description": "Partial System Outage"}},
        {"service": "ee", "observed_at": at, "weight": 1 / 3, "evidence": {"impact": "minor"}},
        {"service": "ee", "observed_at": at + timedelta(seconds=20), "weight": 0.0,
         "evidence": {"indicator": "none", "description": "All Systems Operational"}},
    ]
    latest = latest_readings(readings, 60)
    assert latest[("bt", T0)] == ("major", "Partial System Outage")
    assert latest[("ee", T0)] == ("none", "All Systems Operational")
    counts = [{"service": "bt", "kind": "status", "problem": "other", "n": 2, "weight": 2 / 3,
               "reporters": 0}]
    obs = observations_from_rows(T0, counts, [], readings={"bt": latest[("bt", T0)]})["bt"]
    assert obs.official == "major" and obs.official_description == "Partial System Outage"


async def test_restamped_verdicts_are_stored_as_written_in_full(fresh_database_url: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A verdict that changed only in its bucket and update time is not written again: its scope's
    stamp moves; the stored verdict then reads exactly as the verdict the ticker built (as a full write
    would have left it)."""
    import downwatch.runtime.ticker as ticker_module
    from downwatch.store.detector_output import STAMPED_VERDICTS

    restamps: list[int] = []
    write_tick = ticker_module.write_tick

    async def recording(conn: Any, out: Any) -> None:
        restamps.append(3 - len(out.verdicts) if out.stamp is not None else 0)
        await write_tick(conn, out)

    monkeypatch.setattr(ticker_module, "write_tick", recording)
    pool = await create_pool(fresh_database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await insert_signals(conn, _reports("bt", T0, 3))
        ticker = DetectorTicker(pool, ["bt", "ee", "sky"], bucket_seconds=10)
        await ticker.restore(start=T0)
        for bucket in range(1, 9):
            assert await ticker.advance(T0 + timedelta(seconds=10 * bucket + 1)) == 1
            async with pool.acquire() as conn:
                stored = {row["service"]: (row["body"], row["updated_at"]) for row in
                          await conn.fetch(STAMPED_VERDICTS)}
            built = ticker.verdicts()
            assert {name: body for name, (body, _) in stored.items()} == built
            assert {name: at for name, (_, at) in stored.items()} == {
                name: datetime.fromisoformat(body["updated_at"].replace("Z", "+00:00"))
                for name, body in built.items()}
        assert restamps[0] == 0 and sum(restamps) > 0, restamps  # later ticks restamped some
    finally:
        await pool.close()
