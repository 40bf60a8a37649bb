"""A signal as the bytes of one stream message (JSON), and back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from downwatch.records import Kind, Problem, Signal


def encode_signal(signal: Signal, evidence: dict[str, Any] | None = None) -> bytes:
    """The message of ``signal``; ``evidence`` (when given) stands for the signal's own."""
    return orjson.dumps({"service": signal.service, "kind": str(signal.kind), "problem": str(signal.problem),
                         "observed_at": signal.observed_at.isoformat(), "source": signal.source,
                         "external_id": signal.external_id, "weight": signal.weight,
                         "location": signal.location, "author_hash": signal.author_hash,
                         "evidence": signal.evidence if evidence is None else evidence})


def decode_signal(data: bytes) -> Signal:
    """The signal in a message; ValueError when the message is not one."""
    try:
        doc: dict[str, Any] = orjson.loads(data)
        return Signal(service=str(doc["service"]), kind=Kind(doc["kind"]), problem=Problem(doc["problem"]),
                      observed_at=datetime.fromisoformat(doc["observed_at"]), source=str(doc["source"]),
                      external_id=str(doc["external_id"]), weight=float(doc["weight"]),
                      location=doc.get("location"), author_hash=doc.get("author_hash"),
                      evidence=dict(doc.get("evidence") or {}))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a signal message: {type(exc).__name__}: {exc}") from exc
