"""Signals from observations that already know their service and problem (user reports, probes,
status pages): no text to classify, so each one becomes one signal as it is.

``observation_signal`` is the one Observation → Signal conversion: ``StructuredSignals`` (probes and
status pages in the runner), the text pipeline (user reports and other structured observations) and
``POST /v1/reports`` all use it, each choosing only the author hash, the place and the evidence kept.

How each kind is stored (``downwatch.runtime.ticker`` reads the counts back with the same conventions):

* a user report: weight 1;
* an active-probe check: every check is a signal, weight 1 when it failed and 0 when it passed, so a
  bucket's count is the checks made and its summed weight the checks failed;
* a status-page reading: every reading is a signal whose weight codes the official indicator
  (none 0, minor 1/3, major 2/3, critical 1; ``status_weight``), so "the official page says
  operational" is stored too, not only its incidents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from downwatch.records import OFFICIAL_LEVELS, Kind, Observation, Problem, Signal
from ingest.text.dedup import author_hash

EVIDENCE_DROPPED = ("weight", "failing", "author_is_hashed")


def status_weight(indicator: str | None) -> float:
    """The weight of a status reading: its indicator's level out of 3 (unknown indicators: minor)."""
    if indicator is None or indicator == "maintenance":
        return 0.0
    level = OFFICIAL_LEVELS.index(indicator) if indicator in OFFICIAL_LEVELS else 1
    return level / 3


def structured_weight(observation: Observation) -> float:
    fields: dict[str, Any] = observation.fields
    failing = fields.get("failing")
    if observation.kind == Kind.PROBE:
        return 0.0 if failing is False else 1.0
    if observation.kind == Kind.STATUS:
        if failing is False:
            return 0.0
        return status_weight(fields.get("impact") or fields.get("indicator") or "minor")
    weight = fields.get("weight", 1.0)
    return min(1.0, max(0.0, float(weight))) if isinstance(weight, int | float) else 1.0


def signal_problem(value: str | None) -> Problem:
    """The observation's problem as a ``Problem``; missing or unknown ones are ``other``."""
    try:
        return Problem(value or "other")
    except ValueError:
        return Problem.OTHER


def observation_signal(observation: Observation, *, author: str | None, location: str | None,
                       evidence: Mapping[str, Any]) -> Signal:
    """The signal of an observation that already names its service, kind and problem.

    ``author`` is the author's keyed hash (never a raw id); ``location`` the coarse place kept;
    ``evidence`` what is stored beside it. The weight follows the kind (``structured_weight``).
    """
    return Signal(
        service=observation.service or "", kind=observation.kind or Kind.REPORT,
        problem=signal_problem(observation.problem), observed_at=observation.observed_at,
        source=observation.source, external_id=observation.external_id,
        weight=structured_weight(observation), location=location, author_hash=author,
        evidence=dict(evidence),
    )


class StructuredSignals:
    """``signals(observations)`` for structured observations; observations without a service, a kind
    or a problem give no signal here."""

    def __init__(self, hash_key: bytes) -> None:
        self._key = hash_key

    def signal(self, observation: Observation) -> Signal | None:
        if observation.service is None or observation.kind is None or observation.problem is None:
            return None
        return observation_signal(
            observation, location=observation.location,
            author=(author_hash(self._key, observation.source, observation.author)
                    if observation.author else None),
            evidence={key: value for key, value in observation.fields.items() if key not in EVIDENCE_DROPPED},
        )

    def signals(self, observations: Sequence[Observation]) -> list[Signal]:
        return [s for s in (self.signal(o) for o in observations) if s is not None]
