"""Validating a ``POST /v1/reports`` body: exactly ``service``, ``problem`` and optional ``location``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from downwatch.errors import InputError
from downwatch.records import Problem

FIELDS = ("service", "problem", "location")
PROBLEMS = tuple(problem.value for problem in Problem)
MAX_SLUG_CHARS = 64
MAX_LOCATION_CHARS = 80


@dataclass(frozen=True, slots=True)
class ReportRequest:
    service: str
    problem: str
    location: str | None


def invalid_field(field: str, detail: str) -> InputError:
    return InputError(detail, status=422, title="Invalid report", type_slug="invalid-field",
                      extra={"field": field})


def parse_report(body: bytes) -> ReportRequest:
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the body is not valid JSON: {exc}", status=400, title="Malformed JSON",
                         type_slug="malformed-json") from None
    if not isinstance(document, dict):
        raise invalid_field("", "the body must be a JSON object like "
                                '{"service": "github", "problem": "website"}')
    for name in document:
        if name not in FIELDS:
            raise invalid_field(name, f"unknown field {name!r}; a report has only {', '.join(FIELDS)}")
    service = document.get("service")
    if not isinstance(service, str) or not service:
        raise invalid_field("service", "service must be a non-empty string: a slug from GET /v1/services")
    if len(service) > MAX_SLUG_CHARS:
        raise invalid_field("service", f"service is longer than {MAX_SLUG_CHARS} characters")
    problem = document.get("problem")
    if not isinstance(problem, str) or problem not in PROBLEMS:
        raise invalid_field("problem", f"problem must be one of: {', '.join(PROBLEMS)}")
    location = document.get("location")
    if location is not None:
        if not isinstance(location, str):
            raise invalid_field("location", "location must be a string (a city or region) or null")
        if len(location) > MAX_LOCATION_CHARS:
            raise invalid_field("location", f"location is longer than {MAX_LOCATION_CHARS} characters")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in location):
            raise invalid_field("location", "location contains control characters")
        location = " ".join(location.split())
    return ReportRequest(service, problem, location or None)
