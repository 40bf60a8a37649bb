"""Query-string parsing: each helper returns a typed value or raises a 400 problem naming the parameter."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from multidict import MultiMapping

from downwatch.errors import InputError


def bad_parameter(name: str, detail: str) -> InputError:
    return InputError(detail, status=400, title="Invalid query parameter", type_slug="invalid-parameter",
                      extra={"parameter": name})


def single_values(query: MultiMapping[str], known: Collection[str]) -> dict[str, str]:
    """The query as a plain dict, refusing unknown and repeated parameters."""
    values: dict[str, str] = {}
    for name, value in query.items():
        if name not in known:
            allowed = ", ".join(sorted(known)) or "none"
            raise bad_parameter(name, f"unknown query parameter {name!r} (allowed: {allowed})")
        if name in values:
            raise bad_parameter(name, f"query parameter {name!r} is given more than once")
        values[name] = value
    return values


def parse_time(name: str, raw: str | None) -> datetime | None:
    if raw is None:
        return None
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise bad_parameter(name, f"{name}={raw!r} is not an ISO-8601 time such as 2025-02-04T08:00:00Z")\
            from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.year <= 9998:
        raise bad_parameter(name, f"{name}={raw!r} is outside the years 1970-9998")
    return moment.astimezone(UTC)


def parse_int(name: str, raw: str | None, *, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    text = raw.strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
        raise bad_parameter(name, f"{name}={raw!r} is not an integer")
    value = int(text)
    if not low <= value <= high:
        raise bad_parameter(name, f"{name}={value} is out of range: it must be between {low} and {high}")
    return value


def parse_choice(name: str, raw: str | None, choices: Collection[str]) -> str | None:
    if raw is None:
        return None
    if raw not in choices:
        raise bad_parameter(name, f"{name}={raw!r} is not one of: {', '.join(sorted(choices))}")
    return raw


def parse_bool(name: str, raw: str | None) -> bool:
    if raw is None:
        return False
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise bad_parameter(name, f"{name}={raw!r} is not a boolean (true or false)")


def parse_text(name: str, raw: str | None, *, max_length: int = 200) -> str | None:
    if raw is None:
        return None
    if len(raw) > max_length:
        raise bad_parameter(name, f"{name} is longer than {max_length} characters")
    if any(ord(ch) < 32 for ch in raw):
        raise bad_parameter(name, f"{name} contains control characters")
    return raw


def floor_to(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def time_range(query: dict[str, str], latest: datetime, bucket: int,
               default_span: timedelta) -> tuple[datetime, datetime]:
    """``from``/``to`` of a query: ``to`` defaults to the end of the bucket holding ``latest``, ``from``
    to ``default_span`` before ``to``; ``from`` must come before ``to``."""
    end = parse_time("to", query.get("to"))
    start = parse_time("from", query.get("from"))
    if end is None:
        end = floor_to(latest, bucket) + timedelta(seconds=bucket)
    if start is None:
        start = end - default_span
    if start >= end:
        raise bad_parameter("from", "from must be earlier than to")
    return start, end
