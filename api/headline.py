"""When a service's activity is worth a headline, and which figures may be printed about it.

The rule, in one place (the Now list and the service page both ask it):

* a service whose verdict is an alarm (``down`` or ``degraded``) is news;
* otherwise its latest rise is news only when it passes the size gates of the detector's incident rule
  (detector/README.md, "The incident rule"): over the last ``excess_window_seconds`` (15 minutes), at
  least ``incident_excess`` (30) reports and posts above expected, and observed at least
  ``min_ratio_degraded`` (1.5) times expected. One report against an expected 0.03 is 31 times normal and
  not news; neither is a service the detector calls ``unknown``.

A "times normal" figure is printed only about a rise that passes those gates and whose expected count
over the window is at least ``MIN_EXPECTED_FOR_RATIO``: a ratio over an expected count near zero is not
a figure to print. The gates are the detector's own settings (``detector.settings``), not copies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from detector.settings import DetectorSettings

ALARM_STATUSES = frozenset({"down", "degraded"})
MIN_EXPECTED_FOR_RATIO = 1.0
"""Reports and posts expected over the window below which no ratio is printed."""


@dataclass(frozen=True, slots=True)
class Rise:
    """Reports and posts observed and expected, summed over the latest window."""

    observed: float
    expected: float
    seconds: float

    @property
    def excess(self) -> float:
        return self.observed - self.expected


@dataclass(frozen=True, slots=True)
class HeadlineRule:
    """The detector's size gates, read from its settings."""

    incident_excess: float
    min_ratio: float
    window_seconds: float

    @classmethod
    def of(cls, settings: DetectorSettings) -> HeadlineRule:
        return cls(incident_excess=settings.incident_excess, min_ratio=settings.min_ratio_degraded,
                   window_seconds=settings.excess_window_seconds)

    def rise_is_news(self, rise: Rise | None) -> bool:
        return (rise is not None and rise.excess >= self.incident_excess
                and rise.observed >= self.min_ratio * rise.expected)

    def is_news(self, verdict: Mapping[str, Any], rise: Rise | None) -> bool:
        return verdict.get("status") in ALARM_STATUSES or self.rise_is_news(rise)

    def may_be_news(self, verdict: Mapping[str, Any]) -> bool:
        """Worth reading the window for: an alarm, or a latest bucket above its expected count (a rise
        that has stopped rising is not news now)."""
        observed, expected = verdict.get("observed"), verdict.get("expected")
        return verdict.get("status") in ALARM_STATUSES or (
            verdict.get("bucket") is not None and isinstance(observed, int | float)
            and isinstance(expected, int | float) and observed > expected)

    def printable_ratio(self, rise: Rise | None) -> float | None:
        if rise is None or not self.rise_is_news(rise) or rise.expected < MIN_EXPECTED_FOR_RATIO:
            return None
        return round(rise.observed / rise.expected, 2)

    def describe(self, verdict: Mapping[str, Any], rise: Rise | None) -> dict[str, Any]:
        """What the dashboard may say: whether it is news, and why; the window's figures; the ratio to
        print (or None); whether "since" means anything (only for an alarm: an ``up`` service's since
        is when it last changed, often the start of its history)."""
        alarm = verdict.get("status") in ALARM_STATUSES
        return {"news": self.is_news(verdict, rise),
                "why": "alarm" if alarm else ("rise" if self.rise_is_news(rise) else None),
                "window_seconds": self.window_seconds,
                "observed": None if rise is None else round(rise.observed, 3),
                "expected": None if rise is None else round(rise.expected, 3),
                "ratio": self.printable_ratio(rise), "since": verdict.get("since") if alarm else None}


def rise_of(points: list[Mapping[str, Any]], seconds: float) -> Rise | None:
    """The window's sums from scored buckets (``observed``/``expected`` each); None without any."""
    scored = [p for p in points if p.get("observed") is not None and p.get("expected") is not None]
    if not scored:
        return None
    return Rise(observed=float(sum(p["observed"] for p in scored)),
                expected=float(sum(p["expected"] for p in scored)), seconds=seconds)
