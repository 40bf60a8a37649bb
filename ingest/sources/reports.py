"""User reports: what ``POST /v1/reports`` accepts, as an observation the pipeline can count.

The API validates the request and hashes the client's address; this module only shapes the record.
"""

from __future__ import annotations

from datetime import UTC, datetime

from downwatch.errors import InputError
from downwatch.records import Kind, Observation, Problem

SOURCE_NAME = "report"
MAX_LOCATION_CHARS = 80


def report_observation(service: str, problem: str, location: str | None, client_hash: str,
                       received_at: datetime, report_id: str) -> Observation:
    """The observation for one user report (kind ``report``).

    ``client_hash`` must already be a keyed hash of the client identity (never an address);
    ``report_id`` is unique per accepted report, so a retried request is stored once.
    ``location`` is a coarse place name (city, region or country) or None.
    """
    if not service:
        raise InputError("a report needs a service slug")
    try:
        problem_value = Problem(problem).value
    except ValueError as exc:
        known = ", ".join(p.value for p in Problem)
        raise InputError(f"problem {problem!r} is not one of: {known}") from exc
    if not client_hash:
        raise InputError("a report needs the keyed hash of its client")
    if not report_id:
        raise InputError("a report needs a report id")
    place = " ".join(location.split()) if location else None
    if place is not None and len(place) > MAX_LOCATION_CHARS:
        raise InputError(f"location is longer than {MAX_LOCATION_CHARS} characters; give a city or region")
    when = received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC)
    return Observation(
        source=SOURCE_NAME, external_id=report_id, observed_at=when.astimezone(UTC),
        author=client_hash, location=place or None, service=service, problem=problem_value,
        kind=Kind.REPORT, fields={"author_is_hashed": True},
    )
