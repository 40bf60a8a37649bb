"""Signals from observations that already know their service and problem (user reports, probes,
status pages): no text to classify, so each failing observation becomes one signal as it is."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from downwatch.records import Kind, Observation, Problem, Signal


def author_hash(key: bytes, author: str) -> str:
    """The keyed hash under which an author or client is stored (HMAC-SHA256, 32 hex digits)."""
    return hmac.new(key, author.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


class StructuredSignals:
    """``signals(observations)`` for structured observations; others (text posts, probes and status
    updates that report no failure) give no signal here."""

    def __init__(self, hash_key: bytes) -> None:
        self._key = hash_key

    def signal(self, observation: Observation) -> Signal | None:
        if observation.service is None or observation.kind is None or observation.problem is None:
            return None
        if observation.fields.get("failing") is False:
            return None
        try:
            problem = Problem(observation.problem)
        except ValueError:
            problem = Problem.OTHER
        weight = observation.fields.get("weight", 1.0)
        return Signal(
            service=observation.service, kind=Kind(observation.kind), problem=problem,
            observed_at=observation.observed_at, source=observation.source,
            external_id=observation.external_id,
            weight=float(weight) if isinstance(weight, int | float) else 1.0,
            location=observation.location,
            author_hash=author_hash(self._key, observation.author) if observation.author else None,
            evidence={key: value for key, value in observation.fields.items()
                      if key not in ("weight", "failing", "author_is_hashed")},
        )

    def signals(self, observations: Sequence[Observation]) -> list[Signal]:
        return [s for s in (self.signal(o) for o in observations) if s is not None]
