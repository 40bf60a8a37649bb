"""Official status pages run on Atlassian Statuspage: ``/api/v2/summary.json`` (and
``incidents.json``) turned into ``status`` observations, one per incident update, so re-polling
the same page never counts an update twice.

A ``summary.json`` also gives one *reading* of the page-wide indicator (none, minor, major,
critical), keyed on the page's ``updated_at``: stored once when the page changes, with the time it was
fetched, so the detector learns "the official page says operational" as well as its incidents."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from downwatch.records import Kind, Observation
from ingest.sources.base import Cursor, FetchResult, MalformedPayload, Parsed
from ingest.sources.http import decode_json, http_get
from ingest.sources.problems import problem_from_names
from ingest.sources.session import HttpSource
from ingest.sources.values import (
    ItemError,
    convert_each,
    optional_str,
    parse_time,
    require_dict,
    require_list,
    require_str,
)

SOURCE_NAME = "statuspage"
FAILING_IMPACTS = ("minor", "major", "critical")
CLOSED_STATUSES = ("resolved", "postmortem", "completed")


def _update_observation(page_id: str, indicator: str | None, incident: dict[str, Any], update: Any,
                        *, source: str, service: str | None) -> Observation:
    entry = require_dict(update, "incident update")
    update_id = require_str(entry, "id")
    incident_id = require_str(incident, "id")
    when = entry.get("display_at") or entry.get("created_at")
    observed = parse_time(when, "incident update created_at")
    impact = optional_str(incident, "impact") or "none"
    status = optional_str(entry, "status") or optional_str(incident, "status") or "investigating"
    affected = entry.get("affected_components")
    components = [c["name"] for c in affected if isinstance(c, dict) and isinstance(c.get("name"), str)] \
        if isinstance(affected, list) else []
    if not components and isinstance(incident.get("components"), list):
        components = [c["name"] for c in incident["components"]
                      if isinstance(c, dict) and isinstance(c.get("name"), str)]
    name = optional_str(incident, "name") or ""
    body = optional_str(entry, "body") or ""
    return Observation(
        source=source, external_id=f"{page_id}:{incident_id}:{update_id}", observed_at=observed,
        text=f"{name}\n{body}".strip(), url=optional_str(incident, "shortlink"), service=service,
        problem=problem_from_names(*components, name).value, kind=Kind.STATUS,
        fields={"indicator": indicator, "impact": impact, "incident_id": incident_id, "incident": name,
                "incident_status": status, "components": components,
                "started_at": optional_str(incident, "started_at") or optional_str(incident, "created_at"),
                "resolved_at": optional_str(incident, "resolved_at"),
                "failing": impact in FAILING_IMPACTS and status not in CLOSED_STATUSES},
    )


def _reading(page: dict[str, Any], indicator: str, description: str | None, fetched_at: str | None,
             source: str, service: str | None) -> Observation:
    page_id = require_str(page, "id")
    updated = optional_str(page, "updated_at") or fetched_at
    observed = parse_time(fetched_at or updated, "page updated_at")
    return Observation(
        source=source, external_id=f"{page_id}:indicator:{indicator}:{updated}", observed_at=observed,
        text=description, url=optional_str(page, "url"), service=service, problem="other", kind=Kind.STATUS,
        fields={"indicator": indicator, "impact": indicator, "description": description,
                "page_updated_at": updated, "failing": indicator in FAILING_IMPACTS},
    )


def _numbered_incident(numbered: tuple[int, Any]) -> tuple[int, dict[str, Any], list[Any]]:
    """(index, incident, its updates) for an incident of the page; ``ItemError`` if malformed."""
    index, item = numbered
    incident = require_dict(item, "incident")
    return index, incident, require_list(incident.get("incident_updates"), "incident_updates")


def parse_statuspage(payload: Any, source: str = SOURCE_NAME, service: str | None = None) -> Parsed:
    """Observations from a ``summary.json`` or ``incidents.json`` body (bytes or decoded), or from
    ``{"body": ..., "fetched_at": ISO}`` as the live source fetches it."""
    fetched_at: str | None = None
    if isinstance(payload, dict) and set(payload) == {"body", "fetched_at"}:
        fetched_at = str(payload["fetched_at"])
        payload = payload["body"]
    if isinstance(payload, bytes | bytearray):
        payload = decode_json(bytes(payload), "Statuspage")
    try:
        body = require_dict(payload, "Statuspage body")
        page = require_dict(body.get("page"), "page")
        page_id = require_str(page, "id")
        incidents = require_list(body.get("incidents"), "incidents")
    except ItemError as exc:
        raise MalformedPayload(f"Statuspage: {exc}") from exc
    status = body.get("status")
    indicator = optional_str(status, "indicator") if isinstance(status, dict) else None
    observations: list[Observation] = []
    skipped: list[str] = []
    if indicator is not None and isinstance(status, dict):
        try:
            observations.append(_reading(page, indicator, optional_str(status, "description"), fetched_at,
                                         source, service))
        except ItemError as exc:
            skipped.append(f"page status: {exc}")
    sections = convert_each(enumerate(incidents), _numbered_incident, "incident", skipped)
    for index, incident, updates in sections:
        convert = partial(_update_observation, page_id, indicator, incident, source=source, service=service)
        observations += convert_each(updates, convert, f"incident {index} update", skipped)
    return Parsed(observations, skipped)


class StatuspageSource(HttpSource):
    """Polls one service's Statuspage ``summary.json``."""

    def __init__(self, page_url: str, service: str, *, name: str = SOURCE_NAME,
                 poll_seconds: float = 60.0, timeout: float = 20.0,
                 max_bytes: int = 4 * 1024 * 1024) -> None:
        self.name = name
        self.poll_seconds = poll_seconds
        self.service = service
        base = page_url.rstrip("/")
        self._url = base if base.endswith(".json") else f"{base}/api/v2/summary.json"
        self._timeout = timeout
        self._max_bytes = max_bytes

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        answer = await http_get(self.session(), self._url, timeout=self._timeout, max_bytes=self._max_bytes,
                                headers={"Accept": "application/json"})
        fetched_at = datetime.now(UTC).isoformat()
        return FetchResult(payload={"body": answer.body, "fetched_at": fetched_at}, cursor=dict(cursor or {}))

    def parse(self, payload: Any) -> Parsed:
        return parse_statuspage(payload, self.name, self.service)
