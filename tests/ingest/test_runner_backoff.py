"""Back-off delays and Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from ingest.sources.backoff import Backoff, parse_retry_after

NOW = datetime(2024, 11, 25, 8, 0, tzinfo=UTC)


def test_retry_after_seconds_and_http_dates() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("Mon, 25 Nov 2024 08:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Mon, 25 Nov 2024 07:00:00 GMT", NOW) == 0.0  # in the past: now
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") == 0.0


def test_exponential_jittered_and_capped() -> None:
    backoff = Backoff(base=1.0, factor=2.0, cap=10.0)
    rng = random.Random(7)
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 10.0)]:
        delays = [backoff.delay(attempt, rng=rng) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full / 10  # jittered, not all equal


def test_retry_after_is_a_floor_with_a_little_jitter_and_its_own_cap() -> None:
    backoff = Backoff(base=1.0, cap=10.0, retry_after_cap=600.0, jitter_fraction=0.1)
    rng = random.Random(1)
    delays = [backoff.delay(1, retry_after=120.0, rng=rng) for _ in range(100)]
    assert all(120.0 <= d <= 132.0 for d in delays)
    assert 600.0 <= backoff.delay(1, retry_after=86400.0, rng=rng) <= 660.0
