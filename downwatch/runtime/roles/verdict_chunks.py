"""Verdicts on the ``verdicts`` KV bucket: each partition's verdicts in a few chunked keys.

A detector worker puts ``p<partition>.c<chunk>`` after each tick (one JSON document of up to
``CHUNK_VERDICTS`` verdicts, well under NATS's 1 MB message limit); every API process watches the
bucket and applies what it sees to its board. A few dozen puts a tick for 33,000 services, not one
per service.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

CHUNK_VERDICTS = 400


def chunk_key(partition: int, chunk: int) -> str:
    return f"p{partition}.c{chunk}"


def encode_chunks(partition: int, verdicts: Mapping[str, Mapping[str, Any]], at: datetime
                  ) -> list[tuple[str, bytes]]:
    names = sorted(verdicts)
    out = []
    for i, start in enumerate(range(0, len(names), CHUNK_VERDICTS)):
        part = {name: verdicts[name] for name in names[start:start + CHUNK_VERDICTS]}
        out.append((chunk_key(partition, i),
                    orjson.dumps({"partition": partition, "at": at.isoformat(), "verdicts": part})))
    return out


def decode_chunk(data: bytes) -> tuple[dict[str, dict[str, Any]], datetime]:
    """(verdicts, tick time) of one chunk; ValueError when it is not one."""
    try:
        doc = orjson.loads(data)
        verdicts = doc["verdicts"]
        if not isinstance(verdicts, dict) or not all(isinstance(v, dict) for v in verdicts.values()):
            raise ValueError("verdicts is not an object of objects")
        return verdicts, datetime.fromisoformat(doc["at"])
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"not a verdict chunk: {type(exc).__name__}") from exc
