"""Active probes: GET each service's main and login pages from our own vantage point.

Politeness: at most ``concurrency`` probes at once, at least ``host_interval`` seconds between two
requests to one host, a downwatch User-Agent, no retries inside a round.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from downwatch.records import Kind, Observation, Problem
from ingest.sources.base import Cursor, FetchResult, MalformedPayload, Parsed
from ingest.sources.session import USER_AGENT_HEADERS, HttpSource
from ingest.sources.values import ItemError, convert_each, optional_str, parse_time, require_dict, require_str

SOURCE_NAME = "probes"
PAGES = ("website", "login")


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    service: str
    page: str
    url: str


def targets_from_domains(service: str, domains: tuple[str, ...],
                         login_path: str = "/login") -> list[ProbeTarget]:
    """The main page and the login page of a service's first domain."""
    if not domains:
        return []
    domain = domains[0]
    return [ProbeTarget(service, "website", f"https://{domain}/"),
            ProbeTarget(service, "login", f"https://{domain}{login_path}")]


def classify_exception(exc: BaseException) -> str:
    """A short, stable name for why a probe failed."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    dns_error = getattr(aiohttp, "ClientConnectorDNSError", None)
    if dns_error is not None and isinstance(exc, dns_error):
        return "dns"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return "tls"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "dns" if "Name or service not known" in str(exc) or "nodename" in str(exc) else "connect"
    return "http"


class HostSpacing:
    """Keeps at least ``interval`` seconds between two requests to the same host."""

    def __init__(self, interval: float, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, host: str) -> None:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            delay = self._next.get(host, 0.0) - self._monotonic()
            if delay > 0:
                await self._sleep(delay)
            self._next[host] = self._monotonic() + self._interval


async def probe_once(session: aiohttp.ClientSession, target: ProbeTarget, timeout: float) -> dict[str, Any]:
    """One probe's result as plain JSON-able data (the recorded form ``parse`` reads)."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    result: dict[str, Any] = {"service": target.service, "page": target.page, "url": target.url,
                              "started_at": started.isoformat(), "status": None, "error": None}
    try:
        async with session.get(target.url, timeout=aiohttp.ClientTimeout(total=timeout),
                               allow_redirects=True, max_redirects=5) as response:
            await response.content.read(64 * 1024)
            result["status"] = response.status
    except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError) as exc:
        result["error"] = classify_exception(exc)
        result["detail"] = f"{type(exc).__name__}: {exc}"[:200]
    result["latency_ms"] = round((time.perf_counter() - clock) * 1000, 1)
    return result


def failing(status: int | None, error: str | None) -> bool:
    """A probe fails on any network error or a 5xx; 4xx (bot walls, 401 on login) are not outages."""
    return error is not None or (status is not None and status >= 500)


def probe_observation(item: Any, source: str = SOURCE_NAME) -> Observation:
    result = require_dict(item, "probe result")
    service = require_str(result, "service")
    page = require_str(result, "page")
    started = parse_time(result.get("started_at"), "started_at")
    status = result.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
        raise ItemError("field 'status' is not an integer")
    error = optional_str(result, "error")
    problem = Problem.LOGIN if page == "login" else Problem.WEBSITE
    return Observation(
        source=source, external_id=f"{service}:{page}:{started.isoformat()}", observed_at=started,
        url=optional_str(result, "url"), service=service, problem=problem.value, kind=Kind.PROBE,
        fields={"status": status, "error": error, "latency_ms": result.get("latency_ms"),
                "detail": optional_str(result, "detail"), "failing": failing(status, error)},
    )


def parse_probe_results(payload: Any, source: str = SOURCE_NAME) -> Parsed:
    if not isinstance(payload, list):
        raise MalformedPayload(f"probe results: expected a list, got {type(payload).__name__}")
    skipped: list[str] = []
    observations = convert_each(payload, partial(probe_observation, source=source), "probe result", skipped)
    return Parsed(observations, skipped)


class ProbeSource(HttpSource):
    """Each fetch probes every target once, politely; probes never fail the fetch itself."""

    session_headers = USER_AGENT_HEADERS

    def __init__(self, targets: list[ProbeTarget], *, name: str = SOURCE_NAME, poll_seconds: float = 60.0,
                 timeout: float = 10.0, concurrency: int = 8, host_interval: float = 30.0) -> None:
        self.name = name
        self.poll_seconds = poll_seconds
        self._targets = targets
        self._timeout = timeout
        self._limit = asyncio.Semaphore(concurrency)
        self._spacing = HostSpacing(host_interval)

    async def _probe(self, session: aiohttp.ClientSession, target: ProbeTarget) -> dict[str, Any]:
        await self._spacing.wait(urlsplit(target.url).netloc)
        async with self._limit:
            return await probe_once(session, target, self._timeout)

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        session = self.session()
        results = await asyncio.gather(*(self._probe(session, target) for target in self._targets))
        return FetchResult(payload=list(results), cursor=dict(cursor or {}))

    def parse(self, payload: Any) -> Parsed:
        return parse_probe_results(payload, self.name)
