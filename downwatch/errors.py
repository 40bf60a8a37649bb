"""The errors downwatch raises on purpose.

``DownwatchError`` is the one error type: the CLI prints it as one line and exits 2, the API renders
it as RFC 9457 problem details with its ``status``.
"""

from __future__ import annotations

from typing import Any


class DownwatchError(Exception):
    """A failure with a message meant for a person: what went wrong and how to fix it."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str, *, status: int | None = None, title: str | None = None,
                 type_slug: str | None = None, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        if type_slug is not None:
            self.type_slug = type_slug
        self.extra = extra or {}
        self.headers = headers or {}


class ConfigError(DownwatchError):
    """The settings, a config file or the catalog are wrong."""

    title = "Configuration error"
    type_slug = "configuration"


class InputError(DownwatchError):
    """A file or value given by the user cannot be used."""

    title = "Invalid input"
    type_slug = "invalid-input"


class StoreUnavailable(DownwatchError):
    """The database cannot be reached or started."""

    status = 503
    title = "Store unavailable"
    type_slug = "store-unavailable"


class NotFound(DownwatchError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


def unreadable(name: str, exc: OSError | UnicodeDecodeError, expected: str) -> InputError:
    """The one-line error for an input file that cannot be read; ``expected`` says what it should be."""
    if isinstance(exc, UnicodeDecodeError):
        return InputError(f"{name} is not UTF-8 text (byte {exc.start}); expected {expected}")
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{name}: no such file")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{name} is a directory, not {expected}")
    if isinstance(exc, PermissionError):
        return InputError(f"{name}: permission denied")
    return InputError(f"{name} cannot be read: {exc.strerror}")
