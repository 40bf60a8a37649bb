"""A pre-serialised JSON answer: the bytes, a strong ETag and the time its content last changed."""

from __future__ import annotations

import functools
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
        whole, http = _http_date(changed_at)
        return cls(body, f'"{digest}"', whole, http)


@functools.lru_cache(maxsize=64)
def _http_date(changed_at: datetime) -> tuple[datetime, str]:
    """``changed_at`` in UTC to the second, and as an HTTP date. Cached: a tick stamps the verdicts of
    every service (33,000 at Downdetector's size) with the same time, and formatting it was most of
    the cost of re-serialising them."""
    whole = changed_at.astimezone(UTC).replace(microsecond=0)
    return whole, format_datetime(whole, usegmt=True)
