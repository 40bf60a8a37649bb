"""What the supervised detector tells its operators: is it keeping up, and what it had to set aside.

The ticker records each tick's outcome here; ``/healthz`` reads ``check()`` and ``/metrics`` reads the
counters. Failures are logged as one line when they start, change or stop (never once per tick with a
traceback): a frozen store or a poisoned bucket must not flood the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger("downwatch.detector")

TICKS_BEHIND_LIMIT = 2
MAX_NAMED = 20
ISOLATION_SHOWN_BUCKETS = 10


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class DetectorHealth:
    """The detector's recent outcomes; times are the clock the ticker runs on."""

    tick_seconds: float
    bucket_seconds: int
    started_at: datetime | None = None
    last_success_at: datetime | None = None
    last_scored_bucket: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    consecutive_failures: int = 0
    ticks_total: int = 0
    failures_total: int = 0
    restores_total: int = 0
    skipped_buckets_total: int = 0
    isolated: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """Service -> why its input or output was last set aside, and for which bucket."""
    isolated_total: int = 0
    _logged: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)
    """Services with stored counts that the live catalog does not name (their counts are not scored)."""

    def succeeded(self, now: datetime, last_scored: datetime | None) -> None:
        if self.consecutive_failures:
            log.warning("detector recovered after %d failed tick(s)", self.consecutive_failures)
        self.ticks_total += 1
        self.last_success_at = now
        self.last_scored_bucket = last_scored
        self.consecutive_failures = 0
        self.failing_since = None
        self.last_error = None

    def failed(self, now: datetime, exc: BaseException) -> None:
        error = one_line(exc)
        if error != self.last_error:
            log.error("detector tick failed: %s (retrying each tick from the last stored state)", error)
        self.ticks_total += 1
        self.failures_total += 1
        self.consecutive_failures += 1
        self.failing_since = self.failing_since or now
        self.last_error = error

    def isolate(self, service: str, reason: str, bucket: datetime) -> None:
        self.isolated_total += 1
        if self._logged.get(service) != reason:
            log.warning("detector: set aside %s at %s: %s", service, bucket.isoformat(), reason)
            self._logged[service] = reason
        self.isolated[service] = (reason, bucket)

    def recently_isolated(self) -> dict[str, dict[str, Any]]:
        """Services set aside within the last ``ISOLATION_SHOWN_BUCKETS`` scored buckets."""
        latest = self.last_scored_bucket
        shown = {}
        for service, (reason, bucket) in sorted(self.isolated.items()):
            age = 0.0 if latest is None else (latest - bucket).total_seconds() / self.bucket_seconds
            if age <= ISOLATION_SHOWN_BUCKETS:
                shown[service] = {"reason": reason, "bucket": bucket}
        return shown

    def ignore(self, service: str, reason: str) -> None:
        if service not in self.ignored:
            log.warning("detector: counts for %s are not scored: %s", service, reason)
        self.ignored[service] = reason

    def skipped(self, bucket: datetime, reason: str) -> None:
        self.skipped_buckets_total += 1
        log.error("detector: bucket %s scored without its observations: %s", bucket.isoformat(), reason)

    def restored(self) -> None:
        self.restores_total += 1

    def behind_seconds(self, now: datetime) -> float:
        """Time since the start of the last successful tick (since the process start before the first)."""
        since = self.last_success_at or self.started_at or now
        return max(0.0, (now - since).total_seconds())

    def check(self, now: datetime) -> tuple[bool, dict[str, Any]]:
        """(ok, details) for ``/healthz``: failing when more than two ticks behind."""
        behind = self.behind_seconds(now)
        limit = TICKS_BEHIND_LIMIT * self.tick_seconds
        ok = behind <= limit
        detail: dict[str, Any] = {
            "state": "ok" if ok else "behind",
            "seconds_since_last_tick": round(behind, 3),
            "limit_seconds": limit,
            "last_scored_bucket": self.last_scored_bucket,
            "consecutive_failures": self.consecutive_failures,
        }
        if self.last_error:
            detail["last_error"] = self.last_error
        if isolated := self.recently_isolated():
            detail["isolated"] = dict(list(isolated.items())[:MAX_NAMED])
        if self.ignored:
            detail["ignored"] = dict(sorted(self.ignored.items())[:MAX_NAMED])
        return ok, detail

    def metrics(self) -> dict[str, float]:
        return {"ticks": self.ticks_total, "failures": self.failures_total,
                "consecutive_failures": self.consecutive_failures, "restores": self.restores_total,
                "skipped_buckets": self.skipped_buckets_total, "isolated_now": len(self.recently_isolated()),
                "isolated": self.isolated_total, "ignored_services": len(self.ignored)}
