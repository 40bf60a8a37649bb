from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from downwatch.records import Kind, Problem, Signal
from downwatch.store import cursors, health
from downwatch.store.migrate import available_migrations, upgrade
from downwatch.store.pool import connect
from downwatch.store.signals import bucket_of, insert_signals

T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)


def signal(ext: str, at: datetime, *, service: str = "bt", problem: Problem = Problem.LOGIN,
           author: str | None = "a1", location: str | None = "London", weight: float = 1.0,
           source: str = "test") -> Signal:
    return Signal(service=service, kind=Kind.REPORT, problem=problem, observed_at=at, source=source,
                  external_id=ext, weight=weight, location=location, author_hash=author)


async def test_migrations_apply_from_empty_and_are_recorded(empty_database_url: str) -> None:
    conn = await connect(empty_database_url)
    try:
        applied = await upgrade(conn)
        assert [m.version for m in applied] == [m.version for m in available_migrations()]
        assert await upgrade(conn) == []
        tables = {r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"services", "signals", "signal_keys", "counts", "location_counts", "scores", "verdicts",
                "incidents", "source_health", "ingest_cursors", "schema_migrations"} <= tables
        recorded = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        assert recorded == len(available_migrations())
    finally:
        await conn.close()


async def test_same_signal_twice_counts_once(fresh_database_url: str) -> None:
    conn = await connect(fresh_database_url)
    try:
        first = [signal("r1", T0), signal("r2", T0 + timedelta(seconds=10), author="a2")]
        assert await insert_signals(conn, first) == 2
        assert await insert_signals(conn, first) == 0
        assert await insert_signals(conn, [first[0], first[0]]) == 0
        assert await conn.fetchval("SELECT count(*) FROM signals") == 2
        row = await conn.fetchrow("SELECT n, weight, reporters FROM counts WHERE service = 'bt'")
        assert (row["n"], row["weight"], row["reporters"]) == (2, 2.0, 2)
    finally:
        await conn.close()


async def test_counts_aggregate_per_bucket_kind_and_problem(fresh_database_url: str) -> None:
    conn = await connect(fresh_database_url)
    try:
        batch = [
            signal("a", T0, problem=Problem.LOGIN, weight=0.5),
            signal("b", T0 + timedelta(seconds=59), problem=Problem.LOGIN, weight=0.25, author=None),
            signal("c", T0 + timedelta(seconds=60), problem=Problem.LOGIN, location="Leeds"),
            signal("d", T0 + timedelta(seconds=61), problem=Problem.BILLING, location=None),
            signal("e", T0, service="ee", problem=Problem.LOGIN),
        ]
        assert await insert_signals(conn, batch, bucket_seconds=60) == 5
        rows = await conn.fetch("SELECT service, bucket, problem, n, weight, reporters FROM counts "
                                "ORDER BY service, bucket, problem")
        got = [(r["service"], r["bucket"], r["problem"], r["n"], r["weight"], r["reporters"]) for r in rows]
        t1 = T0 + timedelta(minutes=1)
        assert got == [("bt", T0, "login", 2, 0.75, 1), ("bt", t1, "billing", 1, 1.0, 1),
                       ("bt", t1, "login", 1, 1.0, 1), ("ee", T0, "login", 1, 1.0, 1)]
        places = await conn.fetch("SELECT service, bucket, location, n FROM location_counts "
                                  "ORDER BY service, bucket, location")
        assert [(p["service"], p["bucket"], p["location"], p["n"]) for p in places] == [
            ("bt", T0, "London", 2), ("bt", t1, "Leeds", 1), ("ee", T0, "London", 1)]
    finally:
        await conn.close()


async def test_signals_land_in_daily_partitions(fresh_database_url: str) -> None:
    conn = await connect(fresh_database_url)
    try:
        await insert_signals(conn, [signal("x", T0), signal("y", T0 + timedelta(days=2))])
        parts = {r["relname"] for r in await conn.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'signals'")}
        assert parts == {"signals_20250204", "signals_20250206"}
    finally:
        await conn.close()


async def test_invalid_signal_rolls_back_the_whole_batch(fresh_database_url: str) -> None:
    conn = await connect(fresh_database_url)
    try:
        bad = signal("bad", T0, weight=1.5)
        with pytest.raises(asyncpg.CheckViolationError):
            await insert_signals(conn, [signal("ok", T0), bad])
        assert await conn.fetchval("SELECT count(*) FROM signal_keys") == 0
        assert await conn.fetchval("SELECT count(*) FROM counts") == 0
    finally:
        await conn.close()


async def test_cursor_and_health_round_trip(fresh_database_url: str) -> None:
    conn = await connect(fresh_database_url)
    try:
        assert await cursors.load_cursor(conn, "reddit") is None
        await cursors.save_cursor(conn, "reddit", {"after": "t3_abc", "n": 3})
        await cursors.save_cursor(conn, "reddit", {"after": "t3_def", "n": 4})
        assert await cursors.load_cursor(conn, "reddit") == {"after": "t3_def", "n": 4}
        await health.record_success(conn, "reddit", 10, 2.5)
        await health.record_error(conn, "reddit", "HTTP 500 from upstream")
        await health.record_success(conn, "reddit", 5, 1.0)
        [row] = await health.read_health(conn)
        assert row["items_total"] == 15 and row["errors_total"] == 1
        assert row["last_error"] == "HTTP 500 from upstream" and row["lag_seconds"] == 1.0
    finally:
        await conn.close()


def test_bucket_of_floors_to_the_bucket() -> None:
    assert bucket_of(T0 + timedelta(seconds=299), 300) == T0
    assert bucket_of(T0 + timedelta(seconds=300), 300) == T0 + timedelta(minutes=5)
    with pytest.raises(ValueError):
        bucket_of(datetime(2025, 1, 1), 60)


async def test_retention_drops_old_partitions_and_refuses_expired_signals(fresh_database_url: str) -> None:
    from downwatch.store.retention import apply_retention, horizon, partition_days

    conn = await connect(fresh_database_url)
    try:
        now = T0 + timedelta(days=10)
        old, recent = signal("old", T0), signal("new", now - timedelta(hours=1))
        await insert_signals(conn, [old, recent])
        dropped = await apply_retention(conn, now, retention_days=7)
        assert dropped == [T0.date()]
        assert await partition_days(conn) == [recent.observed_at.date()]
        assert await conn.fetchval("SELECT count(*) FROM signals") == 1
        assert await conn.fetchval("SELECT count(*) FROM signal_keys") == 1
        assert await conn.fetchval("SELECT count(*) FROM counts") == 2
        cutoff = horizon(now, 7)
        assert await insert_signals(conn, [old], not_before=cutoff) == 0
        assert await conn.fetchval("SELECT count(*) FROM signals") == 1
    finally:
        await conn.close()


async def test_catalog_sync_keeps_admin_edits(fresh_database_url: str) -> None:
    from downwatch.records import Service
    from downwatch.store.services import read_services, sync_catalog, upsert_admin_service

    conn = await connect(fresh_database_url)
    try:
        bt = Service(slug="bt", name="BT", country="GB", category="broadband", aliases=("British Telecom",),
                     domains=("bt.com",), handles=(), status_page=None)
        ee = Service(slug="ee", name="EE", country="GB", category="mobile")
        await sync_catalog(conn, [bt, ee])
        renamed = Service(slug="ee", name="EE Mobile", country="GB", category="mobile")
        await upsert_admin_service(conn, renamed)
        await sync_catalog(conn, [bt, ee])
        rows = {r["slug"]: r for r in await read_services(conn)}
        assert rows["bt"]["aliases"] == ["British Telecom"] and rows["bt"]["handles"] == []
        assert rows["ee"]["name"] == "EE Mobile" and rows["ee"]["origin"] == "admin"
    finally:
        await conn.close()


async def test_a_products_reports_and_posts_count_for_its_parent_too(fresh_database_url: str) -> None:
    conn = await connect(fresh_database_url)
    try:
        probe = Signal(service="google-pay", kind=Kind.PROBE, problem=Problem.WEBSITE, observed_at=T0,
                       source="probe", external_id="p1", weight=1.0)
        post = Signal(service="google-pay", kind=Kind.POST, problem=Problem.PAYMENTS, observed_at=T0,
                      source="social", external_id="s1", weight=0.75, author_hash="a3")
        batch = [signal("r1", T0, service="google-pay", problem=Problem.PAYMENTS), post, probe,
                 signal("r2", T0, service="bt", author="a2")]
        assert await insert_signals(conn, batch, parents={"google-pay": "google"}) == 4
        rows = await conn.fetch("SELECT service, kind, n, weight FROM counts ORDER BY service, kind")
        assert [(r["service"], r["kind"], r["n"], r["weight"]) for r in rows] == [
            ("bt", "report", 1, 1.0), ("google", "post", 1, 0.75), ("google", "report", 1, 1.0),
            ("google-pay", "post", 1, 0.75), ("google-pay", "probe", 1, 1.0),
            ("google-pay", "report", 1, 1.0)]
        places = await conn.fetch("SELECT service, n FROM location_counts ORDER BY service")
        assert [(r["service"], r["n"]) for r in places] == [("bt", 1), ("google", 1), ("google-pay", 1)]
        assert await conn.fetchval("SELECT count(*) FROM signals") == 4
    finally:
        await conn.close()
