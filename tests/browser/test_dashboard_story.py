"""The quotable paragraph and the crowd-versus-official gap: plain functions of plain data."""

from __future__ import annotations

from datetime import UTC, datetime

from api.routes.dashboard_story import facts_of, official_gap, per_bucket, quotable_summary

ROW = {"status": "active", "severity": "down", "started_at": datetime(2025, 2, 4, 8, 12, tzinfo=UTC),
       "detected_at": datetime(2025, 2, 4, 8, 15, tzinfo=UTC),
       "peak_at": datetime(2025, 2, 4, 9, 42, tzinfo=UTC), "peak_count": 4310.0, "ended_at": None,
       "problems": {"email": 0.2, "login": 0.41, "billing": 0.22},
       "locations": {"Leeds": 40, "London": 1200, "Manchester": 480}}
OFFICIAL = {"indicator": "none", "description": "All Systems Operational", "incident": None}


def test_the_summary_gives_the_figures_a_reporter_quotes() -> None:
    text = quotable_summary("BT", facts_of(ROW), 116.5, 60, OFFICIAL,
                            datetime(2025, 2, 4, 10, 0, tzinfo=UTC))
    assert text == (
        "Reports of problems with BT began rising at 08:12 UTC on Tuesday 4 February 2025; downwatch "
        "detected an outage at 08:15 UTC. Reports peaked at 4,310 a minute at 09:42 UTC, 37 times the "
        "usual level for a Tuesday morning. Most reports are about signing in (41%), billing and accounts "
        "(22%) and email (20%). The most reports come from London, Manchester and Leeds. At 10:00 UTC, "
        "BT's official status page said \"All Systems Operational\". As of 10:00 UTC the problem is "
        "ongoing (1 h 48 min so far).")


def test_a_resolved_incident_says_when_it_ended_and_small_ratios_keep_a_decimal() -> None:
    row = {**ROW, "status": "resolved", "ended_at": "2025-02-04T11:05:00Z", "problems": {},
           "locations": {}}
    text = quotable_summary("BT", facts_of(row), 1000.0, 300, None, datetime(2025, 2, 4, 12, 0, tzinfo=UTC))
    assert "peaked at 4,310 per 5 minutes at 09:42 UTC, 4.3 times the usual level" in text
    assert text.endswith("Reports returned to normal at 11:05 UTC, after 2 h 53 min.")
    assert "official" not in text and "Most reports" not in text


def test_without_a_baseline_the_summary_makes_no_ratio_claim() -> None:
    text = quotable_summary("BT", facts_of(ROW), None, 60, OFFICIAL, datetime(2025, 2, 4, 10, 0, tzinfo=UTC))
    assert "Reports peaked at 4,310 a minute at 09:42 UTC." in text
    assert "times the usual" not in text


def test_bucket_widths_in_words() -> None:
    assert [per_bucket(s) for s in (60, 300, 3600, 90)] == [
        "a minute", "per 5 minutes", "an hour", "per 90 seconds"]


def test_the_gap_is_named_only_when_crowd_and_official_disagree() -> None:
    gap = official_gap("BT", "down", OFFICIAL)
    assert gap["disagrees"] is True
    assert gap["sentence"] == ("The crowd says BT is DOWN; the official status page says "
                               "All Systems Operational.")
    assert official_gap("BT", "up", OFFICIAL)["disagrees"] is False
    assert official_gap("BT", "down", {"indicator": "major", "description": "Partial outage"})["disagrees"] \
        is False
    unknown = official_gap("BT", "down", None)
    assert unknown["disagrees"] is False and "no official status page reading" in unknown["sentence"]
