"""A pre-serialised JSON answer: the bytes, a strong ETag and the time its content last changed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import orjson

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


@dataclass(frozen=True, slots=True)
class Representation:
    body: bytes
    etag: str
    last_modified: datetime
    last_modified_http: str

    @classmethod
    def of(cls, document: Any, changed_at: datetime) -> Representation:
        body = orjson.dumps(document, option=JSON_OPTIONS)
        return cls.of_bytes(body, changed_at)

    @classmethod
    def of_bytes(cls, body: bytes, changed_at: datetime) -> Representation:
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        changed_at = changed_at.astimezone(UTC).replace(microsecond=0)
        return cls(body, f'"{digest}"', changed_at, format_datetime(changed_at, usegmt=True))

    def same_content(self, body: bytes) -> bool:
        return self.body == body
