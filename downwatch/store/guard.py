"""A circuit breaker in front of the store, so that a dead or hung PostgreSQL costs requests nothing.

Every connection taken from a ``GuardedPool`` passes through its ``StoreBreaker``:

- **closed** (normal): connections are handed out; each use that fails because the store could not
  be reached (refused, reset, timed out, shut down) counts, any answer from the server resets the count;
- **open** after ``failures_to_open`` such failures in a row: every acquire raises ``CircuitOpen``
  (a 503 with ``Retry-After``) at once, without touching the network, for ``open_seconds``;
- **half-open** after that: exactly one caller (in a live process, the background store watch
  probing with ``SELECT 1``) is let through as a trial; success closes the breaker, failure opens it
  again for another ``open_seconds``.

Connections are acquired with a short timeout and statements run under the pool's (short) command
timeout, so a hung server is found out within seconds and then never waited on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Generator
from enum import Enum
from types import TracebackType
from typing import Any

import asyncpg
from asyncpg.pool import PoolAcquireContext

from downwatch.errors import StoreUnavailable

log = logging.getLogger("downwatch.store")

STORE_FAILURES: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable; TimeoutError (acquire and command timeouts) is one too
    asyncpg.InterfaceError,  # ConnectionDoesNotExistError: the server went away mid-statement
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # admin shutdown, cannot connect now, crash shutdown
    asyncpg.InternalClientError,  # a statement on a connection the server ended while it was idle
    # (asyncpg read the server's FATAL error in its idle state and is stuck "consuming" it until the
    # close arrives: "cannot switch to state N; another operation (2) is in progress")
)


STORE_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, *STORE_FAILURES)
"""What a statement raises when the store failed it or could not be reached."""
STORE_UNAVAILABLE: tuple[type[BaseException], ...] = (StoreUnavailable, *STORE_ERRORS)
"""The store errors plus an open circuit (``CircuitOpen`` is a ``StoreUnavailable``)."""


def is_store_failure(exc: BaseException) -> bool:
    return isinstance(exc, STORE_FAILURES) and not isinstance(exc, CircuitOpen)


class CircuitOpen(StoreUnavailable):
    """The breaker is open: the store failed just now, so it is not asked again yet."""


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class StoreBreaker:
    def __init__(self, *, failures_to_open: int = 2, open_seconds: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.failures_to_open = failures_to_open
        self.open_seconds = open_seconds
        self._clock = clock
        self.state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_out = False
        self.last_error: str | None = None
        self.opened_total = 0
        self.rejected_total = 0
        self.failures_total = 0
        self.watched = False
        """True once a background probe runs: then only the probe is ever the half-open trial, so no
        request waits on a server that may still hang."""

    def before(self, probe: bool = False) -> bool:
        """Let a caller through (True when it is the half-open trial) or raise ``CircuitOpen``."""
        if self.state is BreakerState.CLOSED:
            return False
        if self.state is BreakerState.OPEN and self._clock() - self._opened_at >= self.open_seconds:
            self.state = BreakerState.HALF_OPEN
        if (self.state is BreakerState.HALF_OPEN and not self._trial_out
                and (probe or not self.watched)):
            self._trial_out = True
            return True
        self.rejected_total += 1
        raise CircuitOpen(f"the store is unavailable ({self.last_error or 'failing'}); "
                          "try again shortly", headers={"Retry-After": str(self.retry_after())})

    def retry_after(self) -> int:
        remaining = self.open_seconds - (self._clock() - self._opened_at)
        return max(1, math.ceil(remaining))

    def outcome(self, exc: BaseException | None, trial: bool) -> None:
        """Record how a use of the store ended (``exc`` None: it answered)."""
        if exc is None or not (is_store_failure(exc) or isinstance(exc, asyncio.CancelledError)):
            self._succeeded()
        elif isinstance(exc, asyncio.CancelledError):
            if trial:  # the trial gave no answer either way; let the next caller try
                self._trial_out = False
        else:
            self._failed(exc)

    def _succeeded(self) -> None:
        if self.state is not BreakerState.CLOSED:
            log.warning("store: answering again; circuit closed")
        self.state = BreakerState.CLOSED
        self._failures = 0
        self._trial_out = False

    def _failed(self, exc: BaseException) -> None:
        self.failures_total += 1
        self._failures += 1
        self.last_error = type(exc).__name__
        if self.state is BreakerState.HALF_OPEN or (
                self.state is BreakerState.CLOSED and self._failures >= self.failures_to_open):
            if self.state is BreakerState.CLOSED:
                log.error("store: %d failure(s) in a row (last: %s: %s); circuit open, requests answer "
                          "503 until a probe succeeds", self._failures, type(exc).__name__,
                          " ".join(str(exc).split())[:200])
            self.opened_total += 1
            self.state = BreakerState.OPEN
            self._opened_at = self._clock()
            self._trial_out = False


class GuardedAcquire:
    """``pool.acquire()`` through the breaker: refused at once when open, outcome recorded on exit."""

    __slots__ = ("_breaker", "_inner", "_probe", "_trial")

    def __init__(self, breaker: StoreBreaker, inner: PoolAcquireContext, probe: bool = False) -> None:
        self._breaker = breaker
        self._inner = inner
        self._probe = probe
        self._trial = False

    async def __aenter__(self) -> Any:
        self._trial = self._breaker.before(self._probe)
        try:
            return await self._inner.__aenter__()
        except BaseException as exc:
            self._breaker.outcome(exc, self._trial)
            raise

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        connection = self._inner.connection
        if exc is not None and is_store_failure(exc) and connection is not None:
            # A connection to a hung server: drop it rather than wait to reset it (one the server
            # closed is already back in the pool).
            with contextlib.suppress(asyncpg.InterfaceError):
                connection.terminate()
        try:
            await self._inner.__aexit__(exc_type, exc, tb)
        except BaseException as release_error:
            self._breaker.outcome(release_error, self._trial)
            raise
        self._breaker.outcome(exc, self._trial)

    def __await__(self) -> Generator[Any, None, Any]:
        self._breaker.before()
        return self._inner.__await__()


class GuardedPool(asyncpg.Pool):
    """An asyncpg pool whose connections are handed out through a ``StoreBreaker``."""

    __slots__ = ("acquire_timeout", "breaker")

    breaker: StoreBreaker
    acquire_timeout: float

    def acquire(self, *, timeout: float | None = None) -> GuardedAcquire:
        return GuardedAcquire(self.breaker, super().acquire(timeout=timeout or self.acquire_timeout))

    def probe(self, timeout: float) -> GuardedAcquire:
        """A connection for the background probe, which alone may be the half-open trial."""
        return GuardedAcquire(self.breaker, super().acquire(timeout=timeout), probe=True)


class OneLineRecords(logging.Filter):
    """asyncpg's pool logs each failed reconnect with a traceback; one line says as much."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            record.args = ()
            record.exc_info = None
        return True


def quiet_pool_logs() -> None:
    pool_log = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, OneLineRecords) for f in pool_log.filters):
        pool_log.addFilter(OneLineRecords())
