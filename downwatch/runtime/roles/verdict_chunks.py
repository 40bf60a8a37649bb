"""Verdicts on the ``verdicts`` KV bucket: each partition's verdicts in chunked keys, and its stamp.

A detector worker keeps ``p<partition>.c<chunk>`` holding the partition's verdicts (one JSON document
of up to ``CHUNK_VERDICTS`` verdicts, well under NATS's 1 MB message limit, by name order) and, after
each tick, puts again only the chunks holding a verdict whose content changed, then
``p<partition>.stamp``: the ``bucket`` and ``updated_at`` every verdict of the partition now carries
(a quiet verdict is not sent again only to say it was scored once more). Every API process watches
the bucket: a new one reads every chunk and stamp, then follows what changes.

A verdict in a chunk carries the stamps of the bucket it was built in; they hold until its
partition's stamp is newer (``VerdictBoard.restamp``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

CHUNK_VERDICTS = 100
"""A changed verdict costs every API process the decoding of its chunk: small chunks, a few hundred keys."""
STAMP_SUFFIX = ".stamp"


@dataclass(frozen=True, slots=True)
class Chunk:
    partition: int
    verdicts: dict[str, dict[str, Any]]
    at: datetime


@dataclass(frozen=True, slots=True)
class Stamp:
    """Partition ``partition`` was scored through the bucket ``bucket`` (its verdicts' stamps)."""

    partition: int
    bucket: str
    updated_at: str
    at: datetime


def chunk_key(partition: int, chunk: int) -> str:
    return f"p{partition}.c{chunk}"


def stamp_key(partition: int) -> str:
    return f"p{partition}{STAMP_SUFFIX}"


def is_stamp_key(key: str) -> bool:
    return key.endswith(STAMP_SUFFIX)


def layout(verdicts: Mapping[str, Any]) -> list[str]:
    """The names in chunk order."""
    return sorted(verdicts)


def encode_chunks(partition: int, verdicts: Mapping[str, Mapping[str, Any]], at: datetime,
                  only: Collection[str] | None = None) -> list[tuple[str, bytes]]:
    """The chunks of ``verdicts`` (every one, or those holding a name of ``only``)."""
    names = layout(verdicts)
    out = []
    for i, start in enumerate(range(0, len(names), CHUNK_VERDICTS)):
        part = names[start:start + CHUNK_VERDICTS]
        if only is not None and not any(name in only for name in part):
            continue
        document = {"partition": partition, "at": at.isoformat(),
                    "verdicts": {name: verdicts[name] for name in part}}
        out.append((chunk_key(partition, i), orjson.dumps(document)))
    return out


def decode_chunk(data: bytes) -> Chunk:
    """One chunk; ValueError when it is not one."""
    try:
        doc = orjson.loads(data)
        verdicts = doc["verdicts"]
        if not isinstance(verdicts, dict) or not all(isinstance(v, dict) for v in verdicts.values()):
            raise ValueError("verdicts is not an object of objects")
        return Chunk(int(doc["partition"]), verdicts, datetime.fromisoformat(doc["at"]))
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"not a verdict chunk: {type(exc).__name__}") from exc


def encode_stamp(stamp: Stamp) -> bytes:
    return orjson.dumps({"partition": stamp.partition, "bucket": stamp.bucket, "updated_at": stamp.updated_at,
                         "at": stamp.at.isoformat()})


def decode_stamp(data: bytes) -> Stamp:
    """One partition's stamp; ValueError when it is not one."""
    try:
        doc = orjson.loads(data)
        if not isinstance(doc["bucket"], str) or not isinstance(doc["updated_at"], str):
            raise ValueError("bucket and updated_at must be strings")
        return Stamp(int(doc["partition"]), doc["bucket"], doc["updated_at"],
                     datetime.fromisoformat(doc["at"]))
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"not a verdict stamp: {type(exc).__name__}") from exc
