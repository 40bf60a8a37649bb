"""API knobs that are not user settings: stream timing and the report writer's batching."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiTuning:
    heartbeat_seconds: float = 15.0
    stream_lifetime_seconds: float = 3600.0
    report_writers: int = 2
    report_batch_limit: int = 2000
    event_history: int = 1000
