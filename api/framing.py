"""Requests aiohttp cannot parse (bad request line, header, length or chunk): a problem+json 400,
and at most one short log line per interval instead of a traceback each.

aiohttp answers such a request itself (``RequestHandler.handle_error``) with a text/plain body and
logs it with ``logger.exception``. ``serve_problems`` swaps in a handler class that answers with the
same problem document as every other error and a logger that turns client errors into one
rate-limited line; a genuine server error keeps its traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler, RequestPayloadError

from api.problems import problem_response

CLIENT_ERRORS: tuple[type[BaseException], ...] = (HttpProcessingError, RequestPayloadError,
                                                  ConnectionError)
LOG_INTERVAL_SECONDS = 10.0
MAX_DETAIL_CHARS = 120


def short_reason(exc: BaseException | None, fallback: str = "malformed HTTP request") -> str:
    """aiohttp's reason in one line, without the request bytes it echoes."""
    text = getattr(exc, "message", None) or (str(exc) if exc is not None else "")
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    reason = next((line for line in lines if not line.startswith("400, message")), fallback)
    for echo in (": bytearray(", ": b'", ': b"'):
        reason = reason.partition(echo)[0]
    reason = reason.rstrip(":").encode("ascii", "backslashreplace").decode()
    return reason[:MAX_DETAIL_CHARS]


class ClientErrorLog:
    """A logger for aiohttp's protocol handler: client errors become one line per interval (with
    how many were folded into it); anything else is logged in full."""

    def __init__(self, logger: logging.Logger, interval: float = LOG_INTERVAL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._last = -float("inf")
        self.suppressed = 0
        self.seen = 0

    def client_error(self, reason: str) -> None:
        self.seen += 1
        now = self._clock()
        if now - self._last < self._interval:
            self.suppressed += 1
            return
        folded, self.suppressed, self._last = self.suppressed, 0, now
        self._logger.warning("rejected a malformed request: %s%s", reason,
                             f" (and {folded} more since the last line)" if folded else "")

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, CLIENT_ERRORS):
            self.client_error(short_reason(exc_info))
            return
        self._logger.error(msg, *args, exc_info=exc_info, **kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if isinstance(exc_info, CLIENT_ERRORS):
            self.client_error(short_reason(exc_info))
            return
        self._logger.error(msg, *args, **kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._logger.warning(msg, *args, **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        kwargs.pop("exc_info", None)
        self._logger.debug(msg, *args, **kwargs)

    def isEnabledFor(self, level: int) -> bool:
        return self._logger.isEnabledFor(level)


class ProblemRequestHandler(RequestHandler):
    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status >= 500 and not isinstance(exc, CLIENT_ERRORS):
            self.logger.error("error answering a request from %s", request.remote, exc_info=exc)
            detail = "an unexpected error occurred; it has been logged"
        else:
            reason = short_reason(exc, message or "malformed HTTP request")
            if isinstance(self.logger, ClientErrorLog):
                self.logger.client_error(reason)
            detail = f"the request cannot be parsed as HTTP/1.1: {reason}"
        if request.writer.output_size > 0:
            raise ConnectionError("an answer was already being sent; the connection is closed")
        response = problem_response(status, detail)
        response.force_close()
        return response


class ProblemServer(web.Server):
    def __call__(self) -> RequestHandler:
        return ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


def serve_problems(app: web.Application, logger: logging.Logger) -> None:
    """Make every server built for ``app`` (by AppRunner, TestServer, run_app) answer unparsable
    requests with problem details and log them briefly."""
    make_handler = app._make_handler
    error_log = ClientErrorLog(logger)

    def make(**kwargs: Any) -> web.Server:
        kwargs.setdefault("logger", error_log)
        server = make_handler(**kwargs)
        server.__class__ = ProblemServer
        return server

    # aiohttp builds the protocol handler class inside Application._make_handler and offers no hook
    # for it; the instance attribute shadows the method for this app only.
    object.__setattr__(app, "_make_handler", make)
