"""The research loaders against a real PostgreSQL: what ingest stored comes back as the same counts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest

import downwatch.research as dr
from downwatch.errors import StoreUnavailable
from downwatch.records import Kind, Problem, Signal
from downwatch.store.pool import connect
from downwatch.store.signals import insert_signals

SERVICES = ("bt", "ee")


def as_records(frame: pd.DataFrame) -> list[Signal]:
    return [Signal(service=r.service, kind=Kind(r.kind), problem=Problem(r.problem),
                   observed_at=r.observed_at.to_pydatetime(), source=r.source, external_id=r.external_id,
                   weight=float(r.weight), location=r.location if isinstance(r.location, str) else None,
                   author_hash=r.author_hash if isinstance(r.author_hash, str) else None)
            for r in frame.itertuples()]


async def store(dsn: str, signals: list[Signal]) -> None:
    conn = await connect(dsn)
    try:
        await insert_signals(conn, signals)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def demo_signals() -> pd.DataFrame:
    signals = dr.demo_signals(1)
    return signals[signals["service"].isin(SERVICES)].reset_index(drop=True)


def sorted_counts(counts: pd.DataFrame) -> pd.DataFrame:
    keys = ["service", "bucket", "kind", "problem", "location"]
    frame = counts.sort_values(keys, ignore_index=True)
    frame["reporters"] = frame["reporters"].astype(float)
    return frame


def test_stored_signals_come_back_as_the_counts_built_in_memory(
        fresh_database_url: str, demo_signals: pd.DataFrame, tmp_path: Path) -> None:
    asyncio.run(store(fresh_database_url, as_records(demo_signals)))
    from_store = dr.load_counts(fresh_database_url)
    in_memory = dr.counts_from_signals(demo_signals)
    pd.testing.assert_frame_equal(sorted_counts(from_store), sorted_counts(in_memory), check_dtype=False)

    replayed_store = dr.replay(from_store)
    replayed_memory = dr.replay(in_memory)
    pd.testing.assert_frame_equal(replayed_store.incidents, replayed_memory.incidents)
    assert "bt" in set(replayed_store.incidents["service"])

    loaded = dr.load_signals(fresh_database_url, "bt", "2025-02-04T08:00:00Z", "2025-02-04T09:00:00Z")
    expected = demo_signals[(demo_signals["service"] == "bt")
                            & (demo_signals["observed_at"] >= pd.Timestamp("2025-02-04T08:00:00Z"))
                            & (demo_signals["observed_at"] < pd.Timestamp("2025-02-04T09:00:00Z"))]
    assert len(loaded) == len(expected) > 0
    assert set(loaded["external_id"]) == set(expected["external_id"])
    assert loaded["observed_at"].is_monotonic_increasing

    manifest = dr.export_incident(fresh_database_url, "bt", "2025-02-03T00:00:00Z", "2025-02-05T00:00:00Z",
                                  tmp_path / "bt")
    bundle = dr.load_incident(manifest.parent)
    assert bundle.signals is not None
    assert len(bundle.signals) == int((demo_signals["service"] == "bt").sum())
    everything = replayed_store.incidents
    bt_incidents = everything[everything["service"] == "bt"].drop(columns="id").reset_index(drop=True)
    pd.testing.assert_frame_equal(bundle.replay().incidents.drop(columns="id"), bt_incidents)


async def test_the_loaders_work_inside_a_running_event_loop(fresh_database_url: str) -> None:
    counts = dr.load_counts(fresh_database_url, ["bt"], "2025-01-01", "2025-01-02")
    assert counts.empty and "bucket" in counts.columns
    assert dr.load_signals(fresh_database_url).empty


def test_an_unreachable_store_is_one_clear_error() -> None:
    with pytest.raises(StoreUnavailable, match="cannot connect to PostgreSQL"):
        dr.load_counts("postgresql://postgres@127.0.0.1:1/nothing")


def test_a_database_without_the_schema_is_named(empty_database_url: str) -> None:
    with pytest.raises(StoreUnavailable, match="has no downwatch tables"):
        dr.load_counts(empty_database_url)
