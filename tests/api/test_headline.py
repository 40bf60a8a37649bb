"""The headline rule (api/headline.py): an alarm, or a rise passing the detector's own size gates."""

from __future__ import annotations

from api.headline import HeadlineRule, Rise, rise_of
from detector.settings import DetectorSettings

RULE = HeadlineRule.of(DetectorSettings())
WINDOW = DetectorSettings().excess_window_seconds
UP = {"status": "up", "since": "2025-01-29T00:00:00Z", "observed": 1.0, "expected": 0.03,
      "bucket": "2025-02-04T19:00:00Z"}


def test_the_gates_are_the_detector_s_settings() -> None:
    settings = DetectorSettings()
    assert (RULE.incident_excess, RULE.min_ratio, RULE.window_seconds) == (
        settings.incident_excess, settings.min_ratio_degraded, settings.excess_window_seconds)
    stricter = HeadlineRule.of(DetectorSettings(incident_excess=100.0))
    rise = Rise(observed=80.0, expected=10.0, seconds=WINDOW)
    assert RULE.rise_is_news(rise) and not stricter.rise_is_news(rise)


def test_one_report_over_nothing_is_not_news_and_prints_no_ratio() -> None:
    tiny = Rise(observed=1.0, expected=0.032, seconds=WINDOW)
    assert not RULE.is_news(UP, tiny)
    assert RULE.printable_ratio(tiny) is None
    described = RULE.describe(UP, tiny)
    assert described["news"] is False and described["why"] is None and described["since"] is None


def test_a_rise_needs_both_the_absolute_excess_and_the_ratio() -> None:
    big_but_usual = Rise(observed=1000.0, expected=900.0, seconds=WINDOW)  # +100, 1.1x
    small_but_steep = Rise(observed=20.0, expected=2.0, seconds=WINDOW)  # 10x, +18
    both = Rise(observed=405.0, expected=135.0, seconds=WINDOW)
    assert not RULE.rise_is_news(big_but_usual)
    assert not RULE.rise_is_news(small_but_steep)
    assert RULE.rise_is_news(both) and RULE.printable_ratio(both) == 3.0
    described = RULE.describe(UP, both)
    assert described["why"] == "rise" and described["since"] is None, "a working service has no 'since'"


def test_an_alarm_is_news_whatever_its_counts_and_keeps_its_since() -> None:
    degraded = {**UP, "status": "degraded", "since": "2025-02-04T18:51:00Z"}
    one = Rise(observed=1.0, expected=0.75, seconds=WINDOW)
    described = RULE.describe(degraded, one)
    assert described == {"news": True, "why": "alarm", "window_seconds": WINDOW, "observed": 1.0,
                         "expected": 0.75, "ratio": None, "since": "2025-02-04T18:51:00Z"}
    assert RULE.is_news({**UP, "status": "down"}, None)
    assert not RULE.is_news({**UP, "status": "unknown"}, None)


def test_only_alarms_and_latest_buckets_above_expected_are_read_further() -> None:
    assert RULE.may_be_news(UP)
    assert not RULE.may_be_news({**UP, "observed": 0.0})
    assert not RULE.may_be_news({**UP, "bucket": None})
    assert RULE.may_be_news({**UP, "status": "down", "observed": None})


def test_the_window_sums_scored_buckets_only() -> None:
    points = [{"observed": 3.0, "expected": 1.0}, {"observed": None, "expected": 1.0},
              {"observed": 2.0, "expected": 0.5}]
    assert rise_of(points, WINDOW) == Rise(observed=5.0, expected=1.5, seconds=WINDOW)
    assert rise_of([], WINDOW) is None
