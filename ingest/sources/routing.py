"""The pipeline the runner uses: probe and status observations go through ``StructuredSignals``
(which keeps their evidence and drops those reporting no failure); everything else (posts and
user reports) goes through the text pipeline (match, classify, locate, dedup, hash)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from downwatch.records import Kind, Observation, Service, Signal
from ingest.sources.structured import StructuredSignals

_OFFICIAL = (Kind.PROBE, Kind.STATUS)


class Pipeline(Protocol):
    def signals(self, observations: Sequence[Observation]) -> list[Signal]: ...


class RoutedPipeline:
    def __init__(self, text: Pipeline, structured: Pipeline) -> None:
        self._text = text
        self._structured = structured

    def signals(self, observations: Sequence[Observation]) -> list[Signal]:
        official = [o for o in observations if o.kind in _OFFICIAL]
        others = [o for o in observations if o.kind not in _OFFICIAL]
        found = self._structured.signals(official) if official else []
        if others:
            found += self._text.signals(others)
        return found


def default_pipeline(catalog: Iterable[Service], hash_key: str,
                     dedup_window_seconds: int | None = None) -> RoutedPipeline:
    """The text pipeline with the bundled model, plus structured signals, under one hash key."""
    from ingest.text.pipeline import TextPipeline

    text = (TextPipeline.default(list(catalog), hash_key=hash_key) if dedup_window_seconds is None
            else TextPipeline.default(list(catalog), hash_key, dedup_window_seconds))
    return RoutedPipeline(text, StructuredSignals(hash_key.encode()))
