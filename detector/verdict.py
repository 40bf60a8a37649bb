"""The verdict for one service: status, since when, how sure, and why — as the API serves it.

``Verdict.to_dict()`` is exactly the verdict JSON of CONTRIBUTING.md (plus ``reason`` when the status
is ``unknown``, and ``official.disagrees`` when the crowd sees a rise the status page does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from detector.codes import NO_OFFICIAL, OFFICIAL_NAMES, STATUS_BY_CODE
from detector.dispersion import variance
from detector.incidents import at, iso, shares, top_counts
from detector.inputs import BucketObservation
from detector.scoring import upper_tail
from detector.settings import DetectorSettings
from detector.state import DetectorState
from downwatch.records import Kind, Status


@dataclass(frozen=True, slots=True)
class Verdict:
    service: str
    status: Status
    since: datetime | None
    confidence: float
    observed: float
    expected: float
    score: float
    bucket: datetime
    updated_at: datetime
    problems: dict[str, float] = field(default_factory=dict)
    locations: dict[str, float] = field(default_factory=dict)
    sources: dict[str, dict[str, float]] = field(default_factory=dict)
    official: dict[str, Any] = field(default_factory=dict)
    incident_id: int | None = None
    explanation: str = ""
    reason: str | None = None

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "service": self.service, "status": self.status.value, "since": iso(self.since),
            "confidence": round(self.confidence, 4), "observed": round(self.observed, 3),
            "expected": round(self.expected, 3), "ratio": round(self.ratio, 2), "score": round(self.score, 6),
            "bucket": iso(self.bucket), "updated_at": iso(self.updated_at),
            "problems": self.problems, "locations": self.locations, "sources": self.sources,
            "official": self.official, "incident_id": self.incident_id, "explanation": self.explanation,
        }
        if self.reason is not None:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True, slots=True)
class VerdictInputs:
    """What ``build_verdict`` needs about one service after a step."""

    service: str
    index: int
    observed: float
    expected: float
    dispersion: float
    """The over-dispersion the engine judged the count with (``StepOutput.dispersion``)."""
    score: float
    confidence: float
    status_code: int
    bucket: datetime
    updated_at: datetime
    observation: BucketObservation | None
    incident_id: int | None


def build_verdict(v: VerdictInputs, state: DetectorState, settings: DetectorSettings) -> Verdict:
    i = v.index
    obs = v.observation
    status = STATUS_BY_CODE[v.status_code]
    post_share = float(state.post_share[i])
    sources = _sources(obs, v.expected, post_share, v.dispersion)
    official = _official(obs, status, v.score, settings)
    reason = _unknown_reason(state, i, obs, settings, post_share) if status is Status.UNKNOWN else None
    problems = shares(obs.problems) if obs else {}
    locations = top_counts(obs.locations) if obs else {}
    since = at(state.since[i])
    reporters = obs.reporters if obs is not None else None
    explanation = explain(status, v.observed, v.expected, since, problems, official, reason, reporters,
                          settings.bucket_seconds)
    return Verdict(service=v.service, status=status, since=since, confidence=v.confidence,
                   observed=v.observed, expected=v.expected, score=v.score, bucket=v.bucket,
                   updated_at=v.updated_at, problems=problems, locations=locations, sources=sources,
                   official=official, incident_id=v.incident_id, explanation=explanation, reason=reason)


def quiet_key(status_code: int, since: float, confidence: float, observed: float, expected: float,
              score: float, seen: float, incident_id: int | None,
              settings: DetectorSettings) -> tuple[Any, ...]:
    """What the verdict of a service without an observation is made of, but for its bucket and update
    time and the drift of its expected count: two buckets with equal keys (and no observation for the
    service when either verdict was built) give verdicts that differ in those two stamps and in
    ``expected`` (and each source's share of it) by less than the tenth the explanation shows it to.

    Every other value is compared as the verdict shows it (status, since, incident, confidence, score,
    the explanation's words and numbers). The expected count of a quiet service moves a little every
    bucket (it learns from the zeros); at the catalog's size, following each thousandth of it rebuilt
    every verdict, all at once when the services share a rate (a new catalog warming up).

    Mirrors ``build_verdict`` with ``observation=None`` (``_sources``, ``_official``, ``explain``,
    ``_unknown_reason``); ``tests/detector/test_verdict_book.py`` holds the two together.
    """
    ratio = observed / expected if expected > 0 else 0.0
    status = STATUS_BY_CODE[status_code]
    shown_ratio = f"{observed / expected:.1f}" if expected > 0 else "inf"
    hours = f"{seen * settings.bucket_seconds / 3600:.0f}" if status is Status.UNKNOWN else None
    return (status_code, since if since == since else None, incident_id, round(confidence, 4),
            round(observed, 3), round(ratio, 2), round(score, 6), score >= settings.score_degraded,
            amount(observed), f"{expected:.1f}", shown_ratio, hours)


EDGE = 1e-6
"""How near a rounding cell's edge a value may be for ``shown_cells`` to vouch for it."""


def shown_cells(expected: np.ndarray, seen: np.ndarray, bucket_seconds: int) -> tuple[np.ndarray, np.ndarray]:
    """For every service at once, the rounding cells of the values ``quiet_key`` shows from its
    expected count and history (each column one of its roundings), and whether every value is far
    from its cell's edges: there numpy's arithmetic and Python's correctly rounded ``round`` and
    formatting agree, so two such rows with equal cells (and equal inputs otherwise) have equal keys."""
    columns = ((expected, 1), (seen * bucket_seconds / 3600, 0))
    cells = np.empty((len(expected), len(columns)))
    safe = np.ones(len(expected), dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        for j, (values, digits) in enumerate(columns):
            scaled = values * 10.0 ** digits + 0.5
            cell = np.floor(scaled)
            safe &= np.isfinite(scaled) & (np.abs(scaled) < 1e8) & (scaled - cell > EDGE) & (
                scaled - cell < 1 - EDGE)
            cells[:, j] = cell
    return cells, safe


def _sources(obs: BucketObservation | None, expected: float, post_share: float,
             r: float) -> dict[str, dict[str, float]]:
    """Observed, expected and score per kind of evidence: each crowd source has its share of the baseline
    and the over-dispersion ``r`` the engine judged the whole count with."""
    out: dict[str, dict[str, float]] = {}
    for kind, observed, share in ((Kind.REPORT, obs.reports if obs else 0.0, 1.0 - post_share),
                                  (Kind.POST, obs.posts if obs else 0.0, post_share)):
        mu = max(expected * share, 1e-6)
        # P(X >= 0) = 1: a source with nothing in this bucket scores 0 (most services, most ticks)
        p = 1.0 if observed <= 0 else upper_tail(np.array([observed]), np.array([mu]),
                                                   np.array([variance(mu, r)]))[0]
        out[kind.value] = {"observed": round(float(observed), 3), "expected": round(mu, 3),
                           "score": round(float(1 - p), 6)}
    if obs is not None and obs.probe_checks > 0:
        out[Kind.PROBE.value] = {"observed": obs.probe_failed, "checks": obs.probe_checks,
                                 "failing_share": round(obs.probe_failed / obs.probe_checks, 3)}
    return out


def _official(obs: BucketObservation | None, status: Status, score: float,
              settings: DetectorSettings) -> dict[str, Any]:
    indicator = obs.official if obs is not None else None
    crowd_rising = status in (Status.DEGRADED, Status.DOWN) or score >= settings.score_degraded
    operational = indicator in ("none", "operational")
    return {
        "indicator": indicator if indicator is not None else OFFICIAL_NAMES[NO_OFFICIAL],
        "description": obs.official_description if obs is not None else None,
        "incident": None if indicator in (None, "none", "operational") else indicator,
        "disagrees": bool(operational and crowd_rising),
    }


def _unknown_reason(state: DetectorState, i: int, obs: BucketObservation | None, settings: DetectorSettings,
                    post_share: float) -> str:
    stopped = [] if obs is None else [k.value for k in (Kind.REPORT, Kind.POST) if k not in obs.alive]
    if stopped:
        return f"the {' and '.join(stopped)} source feeding this service has stopped delivering"
    hours_seen = state.seen[i] * settings.bucket_seconds / 3600
    # whole hours: a tenth of an hour was a new verdict for every warming-up service every 6 minutes
    return (f"history too short: {hours_seen:.0f} h of the {settings.warmup_days * 24:.0f} h needed; "
            f"expected is still mostly a prior of {settings.prior_per_day:g} a day")


def amount(value: float) -> str:
    """A count for people: whole when it is (near) whole, else one decimal (posts are weighted)."""
    return f"{value:,.0f}" if abs(value - round(value)) < 0.05 else f"{value:,.1f}"


def explain(status: Status, observed: float, expected: float, since: datetime | None,
            problems: dict[str, float], official: dict[str, Any], reason: str | None,
            reporters: float | None, bucket_seconds: int) -> str:
    """One plain-language sentence saying why the status is what it is."""
    window = "minute" if bucket_seconds == 60 else f"{bucket_seconds} s"
    counts = f"{amount(observed)} reports and posts in the last {window} against {expected:.1f} expected"
    if status is Status.UNKNOWN:
        return f"Cannot tell: {reason}."
    if status is Status.UP:
        return f"{counts}: nothing unusual."
    ratio = observed / expected if expected > 0 else float("inf")
    parts = [f"{counts} ({ratio:.1f}x)"]
    if since is not None:
        parts.append(f"rising since {since:%H:%M} UTC")
    if problems:
        parts.append("most about " + ", ".join(f"{k} ({v:.0%})" for k, v in list(problems.items())[:3]))
    if reporters is not None:
        parts.append(f"from {amount(reporters)} distinct reporters")
    if official.get("disagrees"):
        parts.append("while the official status page says all systems operational")
    elif official.get("incident"):
        parts.append(f"and the official status page reports a {official['incident']} incident")
    return "; ".join(parts) + "."
