"""A verdict in the shape of Atlassian Statuspage's ``/api/v2/summary.json``.

Indicator: up → none, degraded → minor, down → major (critical at confidence ≥ 0.9),
unknown → none, with a description that says the status is unknown and why.
Component status: up → operational, degraded → degraded_performance,
down → partial_outage (major_outage when critical), unknown → operational.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from downwatch.records import Service

CRITICAL_CONFIDENCE = 0.9

DESCRIPTIONS = {"none": "All Systems Operational", "minor": "Partially Degraded Service",
                "major": "Partial System Outage", "critical": "Major System Outage"}
COMPONENT_STATUS = {"none": "operational", "minor": "degraded_performance", "major": "partial_outage",
                    "critical": "major_outage"}


def indicator_of(verdict: dict[str, Any]) -> str:
    status = verdict.get("status")
    if status == "degraded":
        return "minor"
    if status == "down":
        confidence = verdict.get("confidence") or 0.0
        return "critical" if confidence >= CRITICAL_CONFIDENCE else "major"
    return "none"


def summary(service: Service, verdict: dict[str, Any], page_url: str, updated_at: datetime) -> dict[str, Any]:
    indicator = indicator_of(verdict)
    if verdict.get("status") == "unknown":
        description = f"Status unknown: {verdict.get('explanation') or 'no verdict yet'}"
    else:
        description = DESCRIPTIONS[indicator]
    changed = verdict.get("updated_at") or updated_at
    page = {"id": service.slug, "name": service.name, "url": page_url, "time_zone": "Etc/UTC",
            "updated_at": changed}
    component = {
        "id": service.slug, "name": service.name, "status": COMPONENT_STATUS[indicator],
        "created_at": changed, "updated_at": changed, "position": 1,
        "description": verdict.get("explanation"), "showcase": True, "start_date": None,
        "group_id": None, "page_id": service.slug, "group": False, "only_show_if_degraded": False,
    }
    incidents = []
    if indicator != "none":
        incident_id = verdict.get("incident_id")
        since = verdict.get("since") or changed
        incidents.append({
            "id": f"{service.slug}-{incident_id if incident_id is not None else 'current'}",
            "name": f"{service.name}: {'outage' if verdict.get('status') == 'down' else 'degraded service'}"
                    " reported by users",
            "status": "investigating", "impact": indicator, "created_at": since, "updated_at": changed,
            "monitoring_at": None, "resolved_at": None, "shortlink": page_url,
            "started_at": since, "page_id": service.slug,
            "incident_updates": [{
                "id": f"{service.slug}-{incident_id}-update", "status": "investigating",
                "body": verdict.get("explanation") or "", "incident_id": str(incident_id),
                "created_at": changed, "updated_at": changed, "display_at": changed,
                "affected_components": [{"code": service.slug, "name": service.name,
                                         "old_status": "operational",
                                         "new_status": COMPONENT_STATUS[indicator]}],
            }],
            "components": [component],
        })
    return {"page": page, "status": {"indicator": indicator, "description": description},
            "components": [component], "incidents": incidents, "scheduled_maintenances": []}
