"""Replay: a file of recorded observations (JSONL or CSV) fed through the same runner and
pipeline as live sources. The cursor is the number of records already delivered."""

from __future__ import annotations

import asyncio
import csv
import io
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from downwatch.records import Kind, Observation
from ingest.sources.base import Cursor, FetchResult, MalformedPayload, Parsed
from ingest.sources.values import ItemError, convert_each, optional_str, parse_time, require_dict, require_str

SOURCE_NAME = "replay"
TEXT_FIELDS = ("text", "author", "url", "location", "service", "problem", "repost_of")


def record_observation(item: Any, default_source: str = SOURCE_NAME) -> Observation:
    """An observation from one recorded object (the field names of ``Observation``)."""
    record = require_dict(item, "record")
    kind_text = optional_str(record, "kind")
    try:
        kind = Kind(kind_text) if kind_text else None
    except ValueError as exc:
        raise ItemError(f"kind {kind_text!r} is not one of {', '.join(k.value for k in Kind)}") from exc
    extra = record.get("fields")
    return Observation(
        source=optional_str(record, "source") or default_source,
        external_id=str(record["external_id"]) if isinstance(record.get("external_id"), int)
        else require_str(record, "external_id"),
        observed_at=parse_time(record.get("observed_at"), "observed_at"),
        kind=kind, fields=dict(extra) if isinstance(extra, dict) else {},
        **{name: optional_str(record, name) for name in TEXT_FIELDS},
    )


def read_records(data: bytes, suffix: str) -> list[Any]:
    """The raw records of a JSONL or CSV file; a line that is not JSON stays as its text (skipped later)."""
    if suffix.lower() == ".csv":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPayload(f"replay CSV is not UTF-8 (byte {exc.start})") from exc
        reader = csv.DictReader(io.StringIO(text))
        try:
            return [dict(row) for row in reader]
        except csv.Error as exc:
            raise MalformedPayload(f"replay CSV line {reader.line_num}: {exc}") from exc
    records: list[Any] = []
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            records.append(line.decode("utf-8", errors="replace")[:80])
    return records


def parse_records(payload: Any, source: str = SOURCE_NAME) -> Parsed:
    skipped: list[str] = []
    observations = convert_each(payload if isinstance(payload, list) else [],
                                partial(record_observation, default_source=source), "record", skipped)
    return Parsed(observations, skipped)


class ReplaySource:
    """Delivers a recorded file in batches; ``poll_seconds`` is the pause between batches."""

    def __init__(self, path: Path, *, name: str = SOURCE_NAME, batch_size: int = 500,
                 poll_seconds: float = 3600.0, pause_seconds: float = 0.0) -> None:
        self.name = name
        self.poll_seconds = poll_seconds
        self._path = path
        self._batch_size = batch_size
        self._pause = pause_seconds
        self._records: list[Any] | None = None

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        if self._records is None:
            try:
                self._records = read_records(self._path.read_bytes(), self._path.suffix)
            except OSError as exc:
                raise MalformedPayload(f"replay file {self._path}: {exc.strerror}") from exc
        start = int((cursor or {}).get("delivered", 0))
        batch = self._records[start:start + self._batch_size]
        end = start + len(batch)
        if self._pause and batch:
            await asyncio.sleep(self._pause)
        return FetchResult(payload=batch, cursor={"delivered": end}, more=end < len(self._records))

    def parse(self, payload: Any) -> Parsed:
        return parse_records(payload, self.name)

    async def close(self) -> None:
        self._records = None
