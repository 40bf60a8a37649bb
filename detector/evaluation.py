"""Detection delay and false alarms on synthetic incidents with known onset, against an oracle and baselines.

Delay is counted in buckets from the onset bucket to the end of the bucket in which the alarm is
raised (1 = caught in the onset bucket). An alarm matches an outage when it starts between the onset
and ``grace`` buckets after its end; every other alarm after the warm-up is a false alarm. Rates are
per service per 30 days.

- ``oracle_cusum``: a CUSUM that knows the true normal and outage means and the true dispersion,
  started at the onset: the lower bound on delay for its false-alarm level ``threshold``.
- ``fixed_threshold_alarms``, ``rolling_zscore_alarms``: simple baselines for comparison tables.
- ``evaluate``: detected share, median delay and false alarms per service-month for one detector.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.synthetic import SyntheticHistory

MONTH_DAYS = 30.0


@dataclass(frozen=True, slots=True)
class Alarm:
    service: int
    start: int
    """Bucket index where the alarm was raised."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    name: str
    outages: int
    detected: int
    median_delay: float
    delays: tuple[float, ...]
    """Per outage, in order of ``history.outages``; NaN when missed."""
    false_alarms: int
    false_alarms_per_service_month: float

    def row(self) -> dict[str, object]:
        return {"detector": self.name, "detected": f"{self.detected}/{self.outages}",
                "median_delay_buckets": self.median_delay, "false_alarms": self.false_alarms,
                "false_alarms_per_service_month": round(self.false_alarms_per_service_month, 3)}


def default_threshold(bucket_seconds: int) -> float:
    """log(buckets in 30 days): a CUSUM at this level raises at most about one false alarm a month."""
    return math.log(MONTH_DAYS * 86400 / bucket_seconds)


def oracle_cusum(history: SyntheticHistory, threshold: float | None = None,
                 horizon_extra: int = 0) -> np.ndarray:
    """Delay (buckets) of the oracle CUSUM for every outage, NaN when it never crosses in the outage."""
    h = default_threshold(history.bucket_seconds) if threshold is None else threshold
    delays = np.full(len(history.outages), np.nan)
    observed = history.reports + history.posts
    for n, o in enumerate(history.outages):
        span = slice(o.onset, min(o.onset + o.duration + horizon_extra, len(history.buckets)))
        x = observed[span, o.service]
        m0, m1 = history.normal_rate[span, o.service], history.rate[span, o.service]
        size = 1.0 / history.dispersion[o.service]
        llr = x * np.log(m1 * (size + m0) / (m0 * (size + m1))) - size * np.log((size + m1) / (size + m0))
        s = 0.0
        for i, step in enumerate(llr):
            s = max(0.0, s + step)
            if s >= h:
                delays[n] = i + 1
                break
    return delays


def alarms_from_incidents(incidents: pd.DataFrame, history: SyntheticHistory) -> list[Alarm]:
    """The replay's incidents as alarms (service index, detection bucket index)."""
    position = {name: i for i, name in enumerate(history.names)}
    start = int(history.buckets[0])
    return [Alarm(position[row.service], (int(row.detected_at.timestamp()) - start) // history.bucket_seconds)
            for row in incidents.itertuples()]


def _starts(alarm: np.ndarray, refractory: int) -> list[Alarm]:
    alarms = []
    for s in range(alarm.shape[1]):
        last = -refractory - 1
        for t in np.flatnonzero(alarm[:, s]).tolist():
            if t - last > refractory:
                alarms.append(Alarm(s, t))
            last = t
    return alarms


def fixed_threshold_alarms(history: SyntheticHistory, training_days: int = 7, quantile: float = 0.9999,
                           refractory: int = 30) -> list[Alarm]:
    """Alarm when a bucket exceeds a per-service quantile of the training days (no seasonality)."""
    observed = history.reports + history.posts
    train = training_days * (86400 // history.bucket_seconds)
    limit = np.quantile(observed[:train], quantile, axis=0) + 1.0
    alarm = observed > limit
    alarm[:train] = False
    return _starts(alarm, refractory)


def rolling_zscore_alarms(history: SyntheticHistory, window: int = 1440, z: float = 8.0,
                          refractory: int = 30) -> list[Alarm]:
    """Alarm when a bucket is ``z`` standard deviations above the previous ``window`` buckets' mean."""
    observed = pd.DataFrame(history.reports + history.posts)
    past = observed.shift(1).rolling(window, min_periods=window)
    score = (observed - past.mean()) / np.maximum(past.std(), 0.5)
    return _starts(score.to_numpy() > z, refractory)


def evaluate(name: str, alarms: Iterable[Alarm], history: SyntheticHistory, warmup_days: float = 7.0,
             grace: int = 30) -> Evaluation:
    per_day = 86400 // history.bucket_seconds
    delays = np.full(len(history.outages), np.nan)
    false_alarms = 0
    by_service: dict[int, list[tuple[int, int, int]]] = {}
    for n, o in enumerate(history.outages):
        by_service.setdefault(o.service, []).append((o.onset, o.onset + o.duration + grace, n))
    for alarm in alarms:
        matched = [(lo, n) for lo, hi, n in by_service.get(alarm.service, []) if lo <= alarm.start < hi]
        if matched:
            lo, n = matched[0]
            delay = alarm.start - lo + 1
            if np.isnan(delays[n]) or delay < delays[n]:
                delays[n] = delay
        elif alarm.start >= warmup_days * per_day:
            false_alarms += 1
    months = len(history.names) * (len(history.buckets) / per_day - warmup_days) / MONTH_DAYS
    found = delays[~np.isnan(delays)]
    return Evaluation(name=name, outages=len(delays), detected=int(found.size),
                      median_delay=float(np.median(found)) if found.size else math.nan,
                      delays=tuple(delays.tolist()), false_alarms=false_alarms,
                      false_alarms_per_service_month=false_alarms / months if months > 0 else math.nan)


def onset_errors(incidents: pd.DataFrame, history: SyntheticHistory, grace: int = 30) -> np.ndarray:
    """Per outage, |estimated onset - true onset| in buckets for the first incident detected in it
    (between its onset and ``grace`` buckets after its end); NaN when none was."""
    position = {name: i for i, name in enumerate(history.names)}
    start = int(history.buckets[0])
    errors = np.full(len(history.outages), np.nan)
    detected_at = np.full(len(history.outages), np.inf)
    for row in incidents.itertuples():
        service = position[row.service]
        detected = (int(row.detected_at.timestamp()) - start) // history.bucket_seconds
        began = (int(row.started_at.timestamp()) - start) // history.bucket_seconds
        for n, o in enumerate(history.outages):
            if o.service == service and o.onset <= detected < o.onset + o.duration + grace \
                    and detected < detected_at[n]:
                detected_at[n] = detected
                errors[n] = abs(began - o.onset)
    return errors
