"""The records that flow between ingest, the store, the detector and the API.

Plain frozen dataclasses and string enums: no I/O, importable from the pure ``detector`` package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Problem(StrEnum):
    """What fails, as a report or post says it (see the table in README.md)."""

    LOGIN = "login"
    WEBSITE = "website"
    APP = "app"
    EMAIL = "email"
    BILLING = "billing"
    PAYMENTS = "payments"
    CONNECTION = "connection"
    STREAMING = "streaming"
    MESSAGING = "messaging"
    OTHER = "other"


class Kind(StrEnum):
    """Which family of evidence a signal belongs to; each has its own weight and baseline."""

    REPORT = "report"
    POST = "post"
    PROBE = "probe"
    STATUS = "status"


class Status(StrEnum):
    """The answer to "is it down?"."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"


OFFICIAL_LEVELS = ("none", "minor", "major", "critical")
"""A status page's indicator levels, least to most severe (a ``status`` signal's weight is level / 3)."""


@dataclass(frozen=True, slots=True)
class Service:
    """One entry of the service catalog."""

    slug: str
    name: str
    country: str
    category: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    status_page: str | None = None
    parent: str | None = None        # the slug of the service this product belongs to (google-pay -> google)


@dataclass(frozen=True, slots=True)
class Observation:
    """What a source yields: one upstream item, before matching and classification.

    ``external_id`` is unique within ``source`` and stable across restarts and replays.
    ``author`` is the raw upstream author id; it is hashed before anything is stored.
    Structured sources (user reports, probes, status pages) already know ``service`` and
    ``problem``; text sources leave them ``None`` for the text pipeline to fill in.
    """

    source: str
    external_id: str
    observed_at: datetime
    text: str | None = None
    author: str | None = None
    url: str | None = None
    location: str | None = None
    service: str | None = None
    problem: str | None = None
    kind: Kind | None = None
    repost_of: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Signal:
    """What ingest stores: one counted piece of evidence that a service is failing.

    Unique on (source, external_id): storing the same signal twice counts it once.
    ``weight`` is the calibrated confidence in [0, 1]; ``author_hash`` is a keyed hash.
    """

    service: str
    kind: Kind
    problem: Problem
    observed_at: datetime
    source: str
    external_id: str
    weight: float = 1.0
    location: str | None = None
    author_hash: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
