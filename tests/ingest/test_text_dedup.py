"""Dedup and weight: one author once per service per window, reposts don't multiply, ids are hashed."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from downwatch.catalog import Catalog, load_catalog
from downwatch.records import Kind, Observation, Problem
from ingest.text.pipeline import TextPipeline

KEY = "test-secret-key"
T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def post(external_id: str, text: str, author: str | None = "alice", minutes: float = 0,
         repost_of: str | None = None, location: str | None = None) -> Observation:
    return Observation(source="mastodon", external_id=external_id,
                       observed_at=T0 + timedelta(minutes=minutes), text=text, author=author, url=f"https://example.social/{external_id}",
                       repost_of=repost_of, location=location)


def test_same_author_twice_in_a_window_counts_once(catalog: Catalog) -> None:
    pipeline = TextPipeline.default(catalog, KEY, dedup_window_seconds=900)
    signals = pipeline.signals([
        post("1", "BT broadband down in manc, no internet at all"),
        post("2", "still no internet with BT, router flashing red", minutes=5),
        post("3", "BT broadband down in manc, no internet at all", author="bob", minutes=6),
        post("4", "BT still down, no internet at all", minutes=16),
    ])
    assert [s.external_id for s in signals] == ["1", "3", "4"]
    assert {s.service for s in signals} == {"bt"}


def test_identical_text_from_same_author_counts_once(catalog: Catalog) -> None:
    pipeline = TextPipeline.default(catalog, KEY)
    text = "Netflix won't play anything, error on every show"
    signals = pipeline.signals([post("1", text), post("2", text + " !!", minutes=1)])
    assert [s.external_id for s in signals] == ["1"]


def test_reposts_do_not_multiply(catalog: Catalog) -> None:
    pipeline = TextPipeline.default(catalog, KEY)
    original = post("1", "Is WhatsApp down? messages stuck on one tick", author="alice")
    reposts = [post(f"r{i}", original.text or "", author=f"user{i}", repost_of="1") for i in range(5)]
    signals = pipeline.signals([original, *reposts])
    assert [s.external_id for s in signals] == ["1"]


def test_author_hash_is_keyed_and_raw_id_absent(catalog: Catalog) -> None:
    observation = post("1", "Steam servers down, can't connect", author="gamer_4242")
    first = TextPipeline.default(catalog, KEY).signals([observation])
    other = TextPipeline.default(catalog, "another-key").signals([observation])
    assert len(first) == 1 and len(other) == 1
    expected = hmac.new(KEY.encode(), b"mastodon\x00gamer_4242", hashlib.sha256).hexdigest()
    assert first[0].author_hash == expected
    assert other[0].author_hash != expected
    assert "gamer_4242" not in repr(first[0])


def test_signal_fields(catalog: Catalog) -> None:
    long_text = "Sky broadband down in Leeds, no internet since 7am. " + "x" * 400
    signals = TextPipeline.default(catalog, KEY).signals([
        post("1", long_text),
        post("2", "the sky is so blue today", author="bob"),
        post("3", "Netflix was down yesterday but it's fine now", author="carol"),
    ])
    assert len(signals) == 1
    signal = signals[0]
    assert (signal.service, signal.kind, signal.problem, signal.location) == (
        "sky", Kind.POST, Problem.CONNECTION, "Leeds")
    assert 0.5 <= signal.weight <= 1.0
    assert signal.evidence == {"text": long_text[:280], "url": "https://example.social/1"}
    assert (signal.source, signal.external_id, signal.observed_at) == ("mastodon", "1", T0)


def test_structured_observations_bypass_classification_but_not_dedup(catalog: Catalog) -> None:
    def report(external_id: str, client: str, minutes: float) -> Observation:
        return Observation(source="reports", external_id=external_id,
                           observed_at=T0 + timedelta(minutes=minutes), author=client,
                           service="monzo", problem="payments", kind=Kind.REPORT, location="ldn")

    pipeline = TextPipeline.default(catalog, KEY)
    signals = pipeline.signals([report("a", "10.0.0.1", 0), report("b", "10.0.0.1", 3),
                                report("c", "10.0.0.2", 3)])
    assert [s.external_id for s in signals] == ["a", "c"]
    assert all(s.kind is Kind.REPORT and s.problem is Problem.PAYMENTS and s.weight == 1.0 for s in signals)
    assert signals[0].location == "London"
    assert signals[0].author_hash is not None and "10.0.0.1" not in repr(signals[0])


def test_window_is_configurable(catalog: Catalog) -> None:
    observations = [post("1", "EE no signal in Bristol"), post("2", "EE no signal at all still", minutes=3)]
    assert len(TextPipeline.default(catalog, KEY, dedup_window_seconds=60).signals(observations)) == 2
    assert len(TextPipeline.default(catalog, KEY, dedup_window_seconds=3600).signals(observations)) == 1
