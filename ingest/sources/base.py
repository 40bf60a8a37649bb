"""The one protocol every source follows, and the errors a fetch can end in.

A source is two halves: ``fetch`` does the network and nothing else (raw payload + the cursor to
store once that payload is committed), ``parse`` is pure (payload in, observations out), so a
recorded payload replays through exactly the code that handled it live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from downwatch.records import Observation

Cursor = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One raw batch from upstream.

    ``cursor`` is where to resume once this batch is stored; ``more`` says the upstream has more
    waiting right now (fetch again at once instead of sleeping a poll interval).
    """

    payload: Any
    cursor: Cursor
    more: bool = False


@dataclass(frozen=True, slots=True)
class Parsed:
    """What ``parse`` made of a payload: the observations, and why any item was skipped."""

    observations: list[Observation]
    skipped: list[str] = field(default_factory=list)


@runtime_checkable
class Source(Protocol):
    """A source of observations: ``name`` is also the ``source`` of everything it yields."""

    name: str
    poll_seconds: float

    async def fetch(self, cursor: Cursor | None) -> FetchResult: ...

    def parse(self, payload: Any) -> Parsed: ...

    async def close(self) -> None: ...


class UpstreamError(Exception):
    """A fetch that failed; ``retry_after`` is the upstream's own wish (seconds), if it said one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(UpstreamError):
    """HTTP 429, or the upstream's rate-limit headers say stop."""


class ServerError(UpstreamError):
    """HTTP 5xx: the upstream is failing; try again later."""


class UpstreamTimeout(UpstreamError):
    """No (complete) answer in time, or the connection dropped."""


class MalformedPayload(UpstreamError):
    """An answer that is not what the wire format promises: wrong type, bad JSON, too big, bad UTF-8."""


class UpstreamRefused(UpstreamError):
    """HTTP 4xx other than 429: usually our configuration (bad credentials, unknown hashtag)."""
