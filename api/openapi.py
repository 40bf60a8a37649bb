"""The OpenAPI 3.1 document of exactly what the API serves (tests validate every answer against it)."""

from __future__ import annotations

from typing import Any

from downwatch import __version__
from downwatch.catalog import CATEGORIES
from downwatch.records import Problem, Status

SLUG_PATTERN = "^[a-z0-9]+(?:-[a-z0-9]+)*$"
PRINTABLE = "^[^\\x00-\\x1f]*$"
NOT_BLANK = "\\S"
DOMAIN_PATTERN = "^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$"
HANDLE_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
URL_PATTERN = "^https?://[^\\s/]+\\.[^\\s/]+(?:/\\S*)?$"
STATUSES = [status.value for status in Status]
PROBLEMS = [problem.value for problem in Problem]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema_type: str, **extra: Any) -> dict[str, Any]:
    return {"type": [schema_type, "null"], **extra}


def openapi_document(bucket_seconds: int = 60) -> dict[str, Any]:
    """Built afresh on each call: nothing here is shared module state."""
    TIME = {"type": "string", "format": "date-time"}
    SSE_EVENT = {
        "type": "object", "required": ["event", "id", "data"],
        "properties": {"event": {"const": "verdict"}, "id": {"type": "string", "pattern": "^[0-9]+$"},
                       "data": {"type": "string", "contentMediaType": "application/json",
                                "contentSchema": ref("Verdict")}},
        "description": "one server-sent event: a verdict (the JSON of GET /v1/services/{slug})"}
    TIME_OR_NULL = nullable("string", format="date-time")
    NUMBER_OR_NULL = nullable("number")
    STRINGS = {"type": "array", "items": {"type": "string"}}


    def obj(properties: dict[str, Any], required: list[str] | None = None, *, closed: bool = True,
            description: str | None = None) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": properties,
                                  "required": required if required is not None else list(properties)}
        if closed:
            schema["additionalProperties"] = False
        if description:
            schema["description"] = description
        return schema


    SCHEMAS: dict[str, Any] = {
        "Problem": obj({
            "type": {"type": "string", "format": "uri-reference",
                     "description": "/docs#problem-<name>: the problem types are listed on /docs"},
            "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"}, "instance": {"type": "string"},
            "closest": {"type": "array", "items": {"type": "string"},
                        "description": "for an unknown service: the closest slugs"},
            "parameter": {"type": "string", "description": "the query parameter that was wrong"},
            "field": {"type": "string", "description": "the body field that was wrong"},
            "limit": {"type": "string", "enum": ["client", "global"]},
        }, ["type", "title", "status", "detail"], closed=False,
            description="RFC 9457 problem details."),
        "Verdict": obj({
            "service": {"type": "string"}, "name": {"type": "string"},
            "status": {"type": "string", "enum": STATUSES},
            "since": TIME_OR_NULL, "confidence": NUMBER_OR_NULL, "observed": NUMBER_OR_NULL,
            "expected": NUMBER_OR_NULL, "ratio": NUMBER_OR_NULL, "score": NUMBER_OR_NULL,
            "bucket": TIME_OR_NULL, "updated_at": TIME_OR_NULL,
            "problems": {"type": "object", "additionalProperties": {"type": "number"},
                         "description": "share of reports and posts by problem category"},
            "locations": {"type": "object", "additionalProperties": {"type": "number"},
                          "description": "reports and posts by place"},
            "sources": {"type": "object", "additionalProperties": {"type": "object"},
                        "description": "observed, expected and score per kind of evidence"},
            "official": {"type": ["object", "null"],
                         "description": "the service's own status page: indicator, description, incident"},
            "incident_id": {"type": ["integer", "string", "null"]},
            "explanation": {"type": ["string", "null"], "description": "why, in one sentence"},
        }, ["service", "name", "status"], closed=False,
            description="Is it down, since when, how sure, and why (the detector's verdict)."),
        "ServiceSummary": obj({
            "slug": {"type": "string"}, "name": {"type": "string"}, "country": {"type": "string"},
            "category": {"type": "string"}, "aliases": STRINGS, "domains": STRINGS,
            "status_page": nullable("string"), "status": {"type": "string", "enum": STATUSES},
            "since": TIME_OR_NULL, "confidence": NUMBER_OR_NULL, "score": NUMBER_OR_NULL,
            "updated_at": TIME_OR_NULL, "incident_id": {"type": ["integer", "string", "null"]},
        }),
        "ServiceList": obj({"services": {"type": "array", "items": ref("ServiceSummary")},
                            "count": {"type": "integer"}, "updated_at": TIME}),
        "TimelinePoint": obj({"t": TIME, "observed": {"type": "number"}, "expected": {"type": "number"},
                              "score": {"type": "number"}, "status": {"type": "string", "enum": STATUSES}},
                             description="One step: sums of observed and expected, the highest score and "
                                         "the worst status of the buckets in it."),
        "Timeline": obj({"service": {"type": "string"}, "from": TIME, "to": TIME,
                         "step": {"type": "integer"}, "bucket_seconds": {"type": "integer"},
                         "points": {"type": "array", "items": ref("TimelinePoint")}}),
        "Incident": obj({
            "id": {"type": "integer"}, "service": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "resolved"]},
            "severity": {"type": "string", "enum": ["degraded", "down"]},
            "started_at": TIME, "detected_at": TIME, "peak_at": TIME_OR_NULL, "peak_count": NUMBER_OR_NULL,
            "ended_at": TIME_OR_NULL,
            "problems": {"type": "object", "additionalProperties": {"type": "number"},
                         "description": "share of reports per problem, largest first"},
            "locations": {"type": "object", "additionalProperties": {"type": "number"},
                          "description": "reports per place, largest first"},
        }, description="Every field once: no nested copy of the incident."),
        "IncidentList": obj({"incidents": {"type": "array", "items": ref("Incident")},
                             "count": {"type": "integer"}, "limit": {"type": "integer"},
                             "offset": {"type": "integer"}, "next_offset": nullable("integer"),
                             "as_of": {**TIME, "description": "the verdict board's time (the data's now, "
                                                              "the demo's clock in the demo): an active "
                                                              "incident has lasted until as_of"}}),
        "ReportRequest": obj({
            "service": {"type": "string", "minLength": 1, "maxLength": 64,
                        "description": "a slug from GET /v1/services"},
            "problem": {"type": "string", "enum": PROBLEMS},
            "location": {"type": ["string", "null"], "maxLength": 80,
                         "description": "a city or region, without control characters",
                         "pattern": "^[^\\x00-\\x1f\\x7f]*$"},
        }, ["service", "problem"]),
        "ReportAccepted": obj({
            "id": {"type": "string"}, "service": {"type": "string"},
            "problem": {"type": "string", "enum": PROBLEMS}, "location": nullable("string"),
            "counted": {"type": "boolean",
                        "description": "false: a retry, or this identity already counted for this "
                                       "service in this window (the report is stored all the same)"},
            "window_ends_at": TIME}),
        "StatuspageSummary": obj({
            "page": {"type": "object", "required": ["id", "name", "url", "time_zone", "updated_at"]},
            "status": obj({"indicator": {"type": "string", "enum": ["none", "minor", "major", "critical"]},
                           "description": {"type": "string"}}),
            "components": {"type": "array",
                           "items": {"type": "object", "required": ["id", "name", "status"]}},
            "incidents": {"type": "array", "items": {"type": "object", "required": ["id", "name", "status",
                                                                                    "impact"]}},
            "scheduled_maintenances": {"type": "array", "maxItems": 0},
        }, description="The shape of Atlassian Statuspage's /api/v2/summary.json."),
        "SourceHealth": obj({
            "source": {"type": "string"}, "state": {"type": "string",
                                                    "enum": ["ok", "failing", "paused", "waiting"]},
            "last_success_at": TIME_OR_NULL, "last_error_at": TIME_OR_NULL, "last_error": nullable("string"),
            "errors_total": {"type": "integer"}, "items_total": {"type": "integer"},
            "lag_seconds": NUMBER_OR_NULL, "paused": {"type": "boolean"}, "updated_at": TIME}),
        "Health": obj({
            "status": {"type": "string", "enum": ["ok", "failing"]}, "version": {"type": "string"},
            "store": {"type": "string", "enum": ["ok", "unavailable", "absent"]},
            "failing": {"type": "array", "items": {"type": "string"},
                        "description": "The names of the failing checks (empty when healthy)."},
            "checks": {"type": "object", "additionalProperties": obj(
                {"ok": {"type": "boolean"}, "state": {"type": "string"}}, closed=False),
                "description": "Each check (store, detector, verdicts) with its details."},
            "board": obj({"version": {"type": "integer"}, "published_at": TIME,
                          "age_seconds": {"type": "number"}}),
            "sources": {"type": "array", "items": ref("SourceHealth")}}),
        "AdminServiceInput": obj({
            "name": {"type": "string", "pattern": NOT_BLANK},
            "country": {"type": "string", "pattern": "^([A-Z]{2}|global)$",
                        "description": "ISO 3166-1 alpha-2 code or \"global\""},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "aliases": {"type": "array", "items": {"type": "string", "pattern": NOT_BLANK}},
            "domains": {"type": "array", "items": {"type": "string", "pattern": DOMAIN_PATTERN}},
            "handles": {"type": "array", "items": {"type": "string", "pattern": HANDLE_PATTERN}},
            "status_page": {"type": ["string", "null"], "pattern": URL_PATTERN}},
            ["name", "country", "category"],
            description="A catalog entry without its slug (the path gives it); rules: downwatch/catalog.py."),
        "AdminService": obj({
            "slug": {"type": "string"}, "name": {"type": "string"}, "country": {"type": "string"},
            "category": {"type": "string"}, "aliases": STRINGS, "domains": STRINGS, "handles": STRINGS,
            "status_page": nullable("string")}, description="The stored catalog entry."),
        "SourceControl": obj({"source": {"type": "string"}, "paused": {"type": "boolean"}}),
    }

    PROBLEM_CONTENT = {"application/problem+json": {"schema": ref("Problem")}}
    CACHE_HEADERS = {
        "ETag": {"schema": {"type": "string"}, "required": True},
        "Last-Modified": {"schema": {"type": "string"}, "required": True},
        "Cache-Control": {"schema": {"type": "string"}, "required": True},
    }
    CONDITIONAL_PARAMETERS = [
        {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "an ETag from an earlier answer: 304 when unchanged"},
        {"name": "If-Modified-Since", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "an HTTP date: 304 when unchanged since (ignored when If-None-Match is given)"},
    ]
    SLUG_PARAMETER = {"name": "slug", "in": "path", "required": True,
                      "schema": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 64}}


    def problem(description: str) -> dict[str, Any]:
        return {"description": description, "content": PROBLEM_CONTENT}


    def cached_json(description: str, schema: str, *extra_codes: tuple[str, str]) -> dict[str, Any]:
        responses: dict[str, Any] = {
            "200": {"description": description, "headers": CACHE_HEADERS,
                    "content": {"application/json": {"schema": ref(schema)}}},
            "304": {"description": "not modified since the client's copy"},
            "400": problem("a bad query parameter"),
        }
        for code, text in extra_codes:
            responses[code] = problem(text)
        return responses


    def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


    def get(summary: str, description: str, parameters: list[dict[str, Any]], responses: dict[str, Any],
            tag: str = "public") -> dict[str, Any]:
        return {"get": {"summary": summary, "description": description, "tags": [tag],
                        "parameters": parameters, "responses": responses}}


    NOT_FOUND = ("404", "no such service; the problem's `closest` lists the nearest slugs")
    STORE_DOWN = ("503", "the store is unavailable (or this process runs without one); see Retry-After")
    ADMIN_PROBLEMS = {"401": problem("missing or wrong bearer token"),
                      "403": problem("admin routes are disabled")}

    time_query = {"type": "string", "format": "date-time"}
    paths: dict[str, Any] = {
        "/v1/services": get(
            "The catalog with each service's current status",
            "Answered from memory, refreshed on every detector tick. Filters combine with AND.",
            [query("status", {"type": "string", "enum": STATUSES}, "only services with this status"),
             query("category", {"type": "string", "maxLength": 40, "pattern": PRINTABLE},
                   "only this catalog category"),
             query("country", {"type": "string", "maxLength": 20, "pattern": PRINTABLE},
                   "ISO country code or `global`"),
             query("q", {"type": "string", "maxLength": 100, "pattern": PRINTABLE},
                   "text found in the slug, name or an alias (case-insensitive)"),
             *CONDITIONAL_PARAMETERS],
            cached_json("the services", "ServiceList")),
        "/v1/services/{slug}": get(
            "Is it down? One service's verdict with its explanation",
            "Observed vs expected, score, confidence, since when, top problems, locations, sources, and "
            "the official status beside the crowd's. Services not yet scored answer status `unknown`.",
            [SLUG_PARAMETER, *CONDITIONAL_PARAMETERS], cached_json("the verdict", "Verdict", NOT_FOUND)),
        "/v1/services/{slug}/timeline": get(
            "Observed vs expected vs score per step",
            "`from` defaults to `to` minus 6 hours, `to` to the end of the current bucket; both are "
            "rounded to the step. `step` (seconds) must be a multiple of the bucket width; at most "
            "10,080 points per answer.",
            [SLUG_PARAMETER, query("from", time_query, "start (ISO-8601, UTC if no offset)"),
             query("to", time_query, "end, exclusive (ISO-8601)"),
             query("step", {"type": "integer", "minimum": bucket_seconds, "maximum": 86400,
                            "multipleOf": bucket_seconds},
                   "seconds per point, a multiple of the bucket width"),
             *CONDITIONAL_PARAMETERS],
            cached_json("the timeline", "Timeline", NOT_FOUND, STORE_DOWN)),
        "/v1/incidents": get(
            "Active and past incidents",
            "Newest first. `from`/`to` select incidents overlapping that period. Page with `offset`: "
            "`next_offset` is null on the last page.",
            [query("service", {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 64},
                   "only this service"),
             query("status", {"type": "string", "enum": ["active", "resolved"]}, "active or resolved"),
             query("from", time_query, "incidents still running at or after this time"),
             query("to", time_query, "incidents that started before this time"),
             query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "page size (default 50)"),
             query("offset", {"type": "integer", "minimum": 0, "maximum": 100000}, "skip this many"),
             *CONDITIONAL_PARAMETERS],
            cached_json("the incidents", "IncidentList", NOT_FOUND, STORE_DOWN)),
        "/v1/reports": {"post": {
            "summary": "Report a problem with a service",
            "description": "Answered 202 only once the report is committed to the store. An identity "
                           "— the client's network (IPv4 /24, IPv6 /64), or a client token issued to "
                           "that network and sent as `X-Downwatch-Client-Token`; never the User-Agent; "
                           "kept only as a keyed hash — counts once per service per window "
                           "(`report_window_seconds`, fixed windows): a further report is stored and "
                           "answered 202 with `counted: false`. Per-identity, per-network and global "
                           "rate limits answer 429 with Retry-After (docs/sybil.md).",
            "tags": ["public"],
            "parameters": [{"name": "X-Downwatch-Client-Token", "in": "header", "required": False,
                            "schema": {"type": "string"},
                            "description": "a token from POST /v1/client-tokens (ignored unless valid "
                                           "and issued to this network)"}],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": ref("ReportRequest")}}},
            "responses": {
                "202": {"description": "stored (or already stored in this window)",
                        "content": {"application/json": {"schema": ref("ReportAccepted")}}},
                "400": problem("malformed JSON"),
                "404": problem(NOT_FOUND[1]),
                "413": problem("body larger than max_body_bytes"),
                "415": problem("not application/json"),
                "422": problem("unknown field or wrong type; `field` names it"),
                "429": {**problem("rate limited; `limit` says which"),
                        "headers": {"Retry-After": {"schema": {"type": "string"}, "required": True}}},
                "503": problem(STORE_DOWN[1]),
            }}},
        "/v1/client-tokens": {"post": {
            "summary": "Get a client token (several people behind one network)",
            "description": "A signed token bound to the network it is issued to. Sent with reports as "
                           "`X-Downwatch-Client-Token` from that network, it makes the report's identity "
                           "the token instead of the network; at most `slots_per_network` tokens count per "
                           "network per service per window. No request body is needed.",
            "tags": ["public"],
            "responses": {
                "201": {"description": "a token", "content": {"application/json": {"schema": obj({
                    "token": {"type": "string"}, "header": {"type": "string"},
                    "expires_at": TIME, "slots_per_network": {"type": "integer", "minimum": 0}},
                    ["token", "header", "expires_at", "slots_per_network"])}}},
                "429": {**problem("this network was issued its share of tokens"),
                        "headers": {"Retry-After": {"schema": {"type": "string"}, "required": True}}},
            }}},
        "/v1/stream": get(
            "Server-sent events: verdict changes as they happen",
            "Each event is `event: verdict`, `id: <n>`, `data: <Verdict JSON>`. On connect: the current "
            "verdicts, or — with `Last-Event-ID` still in the server's history — exactly the missed "
            "events. A `: heartbeat` comment is sent every 15 s; the server ends a stream after an hour.",
            [query("service", {"type": "string", "pattern": "^[a-z0-9-]+(,[a-z0-9-]+)*$",
                               "maxLength": 1000}, "comma-separated slugs to follow (default: all)"),
             query("scores", {"type": "boolean"}, "also send score-only changes (default: status changes)"),
             {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"}}],
            {"200": {"description": "an event stream",
                     "content": {"text/event-stream": {"schema": SSE_EVENT}}},
             "400": problem("a bad query parameter"), "404": problem(NOT_FOUND[1])}),
        "/v1/services/{slug}/statuspage.json": get(
            "The verdict as an Atlassian Statuspage summary.json",
            "Indicator: up → none, degraded → minor, down → major (critical at confidence ≥ 0.9), "
            "unknown → none with a description saying the status is unknown.",
            [SLUG_PARAMETER, *CONDITIONAL_PARAMETERS],
            cached_json("the summary", "StatuspageSummary", NOT_FOUND)),
        "/v1/statuspage/{slug}/api/v2/summary.json": get(
            "The same summary at a Statuspage-style path",
            "For tools that append /api/v2/summary.json to a status page's base URL.",
            [SLUG_PARAMETER, *CONDITIONAL_PARAMETERS],
            cached_json("the summary", "StatuspageSummary", NOT_FOUND)),
        "/healthz": get("Liveness, each check and each source's health",
                        "503 with the same document when a check fails: the store is unreachable or "
                        "the detector is more than two ticks behind. Answered from memory, never "
                        "waiting on the store.",
                        [*CONDITIONAL_PARAMETERS],
                        {**cached_json("alive", "Health"),
                         "503": {"description": "a check fails; the body names it",
                                 "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                                 "content": {"application/json": {"schema": ref("Health")}}}},
                        "operations"),
        "/metrics": get("Prometheus metrics", "Text exposition format 0.0.4.", [],
                        {"200": {"description": "metrics",
                                 "content": {"text/plain": {"schema": {"type": "string"}}}},
                         "400": problem("a bad query parameter")}, "operations"),
        "/openapi.json": get("This document", "", [*CONDITIONAL_PARAMETERS],
                             {"200": {"description": "the OpenAPI document", "headers": CACHE_HEADERS,
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              "304": {"description": "not modified"},
                              "400": problem("a bad query parameter")}, "operations"),
        "/docs": get("Human-readable documentation of this API", "", [*CONDITIONAL_PARAMETERS],
                     {"200": {"description": "an HTML page", "headers": CACHE_HEADERS,
                              "content": {"text/html": {"schema": {"type": "string"}}}},
                      "304": {"description": "not modified"},
                      "400": problem("a bad query parameter")}, "operations"),
        "/": get("The journalists' dashboard", "Redirects to /docs until the dashboard is installed.", [],
                 {"200": {"description": "the dashboard",
                          "content": {"text/html": {"schema": {"type": "string"}}}},
                  "302": {"description": "to /docs"}}, "operations"),
        "/v1/admin/services/{slug}": {"put": {
            "summary": "Add or replace a catalog entry",
            "description": "Stored in the services table; overrides the bundled entry.",
            "tags": ["admin"], "security": [{"bearer": []}], "parameters": [SLUG_PARAMETER],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": ref("AdminServiceInput")}}},
            "responses": {"200": {"description": "the stored entry",
                                  "content": {"application/json": {"schema": ref("AdminService")}}},
                          "400": problem("malformed JSON"), "413": problem("body too large"),
                          "409": problem("a name, alias, domain or handle belongs to another service"),
                          "422": problem("invalid entry"), **ADMIN_PROBLEMS,
                          "503": problem(STORE_DOWN[1])}}},
        "/v1/admin/sources/{name}/{action}": {"post": {
            "summary": "Pause or resume an ingest source",
            "tags": ["admin"], "security": [{"bearer": []}],
            "parameters": [{"name": "name", "in": "path", "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 64,
                                       "pattern": "^[A-Za-z0-9_.-]+$"}},
                           {"name": "action", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": ["pause", "resume"]}}],
            "responses": {"200": {"description": "the source's new state",
                                  "content": {"application/json": {"schema": ref("SourceControl")}}},
                          "400": problem("bad source name"), "404": problem("no such action"),
                          **ADMIN_PROBLEMS,
                          "503": problem(STORE_DOWN[1])}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "downwatch", "version": __version__,
                 "description": "Open, explainable, crowd-sourced outage detection: is it down, since "
                                "when, what fails, where, and why. Errors are RFC 9457 problem details "
                                "(application/problem+json). Public GETs carry ETag, Last-Modified and "
                                "Cache-Control and answer 304 to conditional requests.",
                 "license": {"name": "MIT"}},
        "paths": paths,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "settings.admin_token"}}},
        "tags": [{"name": "public", "description": "the public read API and user reports"},
                 {"name": "operations", "description": "health, metrics and documentation"},
                 {"name": "admin", "description": "needs the admin bearer token"}],
    }
