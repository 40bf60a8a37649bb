"""Reading fields out of untrusted upstream JSON: every helper either returns the typed value or
raises ``ItemError`` naming the field, so one bad item is skipped with a reason, never a crash."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")


class ItemError(ValueError):
    """One upstream item lacks a field or has one of the wrong type."""


def require_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ItemError(f"{what} is {type(value).__name__}, expected an object")
    return value


def require_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ItemError(f"{what} is {type(value).__name__}, expected an array")
    return value


def require_str(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ItemError(f"field {key!r} missing or not a non-empty string")
    return value


def optional_str(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value else None


def parse_time(value: Any, what: str) -> datetime:
    """An aware UTC datetime from an ISO 8601 string ('Z' allowed) or Unix seconds."""
    if isinstance(value, bool):
        raise ItemError(f"{what} is a boolean, expected a time")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ItemError(f"{what} = {value!r} is not a valid Unix time") from exc
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise ItemError(f"{what} = {value[:40]!r} is not an ISO 8601 time") from exc
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise ItemError(f"{what} missing or not a time")


def convert_each(items: Iterable[Any], convert: Callable[[Any], T | None], label: str,
                 skipped: list[str], errors: tuple[type[Exception], ...] = (ItemError,)) -> list[T]:
    """``convert`` applied to each item, in order: an item it rejects with one of ``errors`` is left
    out and its reason appended to ``skipped`` as ``"LABEL INDEX: reason"``; ``None`` is left out
    silently (well-formed items that are not wanted)."""
    converted: list[T] = []
    for index, item in enumerate(items):
        try:
            value = convert(item)
        except errors as exc:
            skipped.append(f"{label} {index}: {exc}")
            continue
        if value is not None:
            converted.append(value)
    return converted
