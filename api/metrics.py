"""Prometheus text-format metrics kept by the API process: counters, gauges and one histogram."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable

LATENCY_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                      1.0, 2.5, 5.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _labels(names: tuple[str, ...], values: tuple[object, ...]) -> str:
    if not names:
        return ""
    pairs = ",".join(f'{name}="{_escape(str(value))}"' for name, value in zip(names, values, strict=True))
    return "{" + pairs + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Counter:
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.help_text, self.labels = name, help_text, labels
        self.values: dict[tuple[object, ...], float] = defaultdict(float)

    def inc(self, *label_values: object, amount: float = 1.0) -> None:
        self.values[label_values] += amount

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help_text}"
        yield f"# TYPE {self.name} counter"
        for key, value in sorted(self.values.items(), key=lambda item: tuple(map(str, item[0]))):
            yield f"{self.name}{_labels(self.labels, key)} {value:g}"


class Gauge:
    """A value read when the metrics are scraped."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...],
                 read: Callable[[], dict[tuple[str, ...], float]]) -> None:
        self.name, self.help_text, self.labels, self.read = name, help_text, labels, read

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help_text}"
        yield f"# TYPE {self.name} gauge"
        for key, value in sorted(self.read().items()):
            yield f"{self.name}{_labels(self.labels, key)} {value:g}"


class Histogram:
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...],
                 buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.name, self.help_text, self.labels, self.buckets = name, help_text, labels, buckets
        self.cells: dict[tuple[str, ...], HistogramCell] = {}

    def cell(self, *label_values: str) -> HistogramCell:
        """The series for these labels; a hot path keeps it and calls ``observe`` on it directly."""
        found = self.cells.get(label_values)
        if found is None:
            found = self.cells[label_values] = HistogramCell(self.buckets)
        return found

    def observe(self, value: float, *label_values: str) -> None:
        self.cell(*label_values).observe(value)

    @property
    def counts(self) -> dict[tuple[str, ...], list[int]]:
        return {key: cell.counts for key, cell in self.cells.items()}

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help_text}"
        yield f"# TYPE {self.name} histogram"
        for key, cell in sorted(self.cells.items()):
            cumulative = 0
            for bound, count in zip((*self.buckets, float("inf")), cell.counts, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                yield f"{self.name}_bucket{_labels((*self.labels, 'le'), (*key, le))} {cumulative}"
            yield f"{self.name}_sum{_labels(self.labels, key)} {cell.total:g}"
            yield f"{self.name}_count{_labels(self.labels, key)} {cumulative}"


class HistogramCell:
    __slots__ = ("buckets", "counts", "total")

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value


class ApiMetrics:
    """Every metric the API exports; gauges are wired to the board when the app starts."""

    def __init__(self) -> None:
        self.requests = Counter("downwatch_http_requests_total",
                                "HTTP requests answered, by route and status.", ("method", "route", "status"))
        self.latency = Histogram("downwatch_http_request_duration_seconds",
                                 "Time to answer an HTTP request, by route.", ("route",))
        self.reports = Counter("downwatch_reports_total",
                               "User reports by outcome: counted, duplicate, or the reason for rejection.",
                               ("outcome",))
        self.report_batches = Histogram("downwatch_report_batch_size",
                                        "Reports committed per database transaction.", (),
                                        (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000))
        self.gauges: list[Gauge] = []

    def add_gauge(self, gauge: Gauge) -> None:
        self.gauges.append(gauge)

    def render(self) -> str:
        lines: list[str] = []
        for metric in (self.requests, self.reports):
            lines.extend(metric.render())
        for histogram in (self.latency, self.report_batches):
            lines.extend(histogram.render())
        for gauge in self.gauges:
            lines.extend(gauge.render())
        return "\n".join(lines) + "\n"
