"""JSON the dashboard needs beyond the public API, read once per board version and key.

``GET /dashboard/data/now``: the services whose activity is worth a headline (``api.headline``), ranked,
each with its latest window's figures and a sparkline; and, so that the front page says something when
nothing is news, the ``busiest`` services: the most reports and posts over the same latest window,
each against its usual level, described by the same rule (no ratio is printed unless it is news).
``GET /dashboard/data/headline/{slug}``: one service's verdict and the headline rule's answer about it
(the embeddable widget's figures).
``GET /dashboard/data/services/{slug}``: for one service over ``from``..``to`` (default: the last
24 hours): its verdict and what the headline rule lets the page say about it (header and crowd card
both read these, so they never disagree), verdict changes, problems and places, recent evidence
posts, report counts by kind, the latest incident with a quotable summary, and the gap between the
crowd and the official page.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from aiohttp import web

from api.board import VerdictBoard
from api.caching import cached_answer
from api.headline import HeadlineRule, Rise, rise_of
from api.keys import BOARD, SETTINGS, STORE_ANSWERS
from api.lookup import max_age, require_service
from api.params import bad_parameter, floor_to, parse_int, single_values, time_range
from api.representation import Representation
from api.routes.dashboard_story import facts_of, official_gap, quotable_summary
from api.store_access import STORE_ERRORS, pool_of, store_failed
from detector.settings import DetectorSettings
from downwatch.store import dashboard_queries as queries
from downwatch.store.api_queries import incidents

STATUS_RANK = {"down": 3, "degraded": 2, "up": 1, "unknown": 0}
SPARK_POINTS = 36
DEFAULT_SPAN = timedelta(hours=24)
MAX_SPAN = timedelta(days=31)
EVIDENCE_LIMIT = 20
LOCATION_LIMIT = 15
CHANGE_LIMIT = 500
BUSIEST_LIMIT = 8
EVIDENCE_TEXT_LIMIT = 280


HEADLINE = web.AppKey("headline_rule", HeadlineRule)
VERDICT_FIELDS = ("status", "since", "ratio", "observed", "expected", "score", "confidence", "bucket",
                  "updated_at", "incident_id", "explanation")


def headline_rank(entry: dict[str, Any]) -> tuple[int, float, str]:
    """Sort key, most newsworthy first: status, then the size of the latest window's rise."""
    headline = entry["headline"]
    excess = (headline["observed"] or 0.0) - (headline["expected"] or 0.0)
    return (-STATUS_RANK.get(entry.get("status", "unknown"), 0), -excess, entry["slug"])


def window_of(verdict: dict[str, Any], bucket: int, seconds: float) -> tuple[datetime, datetime] | None:
    """The latest window of a verdict: ``seconds`` of buckets ending with its scored bucket."""
    scored = verdict.get("bucket")
    if not scored:
        return None
    end = datetime.fromisoformat(str(scored).replace("Z", "+00:00")) + timedelta(seconds=bucket)
    return end - timedelta(seconds=seconds), end


async def latest_rises(pool: asyncpg.Pool, verdicts: dict[str, dict[str, Any]], bucket: int,
                       seconds: float) -> dict[str, Rise]:
    """Each service's sums over its latest window, read from the scored buckets."""
    windows = {slug: w for slug, v in verdicts.items() if (w := window_of(v, bucket, seconds)) is not None}
    if not windows:
        return {}
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    points = await queries.sparklines(pool, list(windows), start, end, bucket)
    rises = {}
    for slug, (low, high) in windows.items():
        rise = rise_of([p for p in points.get(slug, []) if low <= p["t"] < high], seconds)
        if rise is not None:
            rises[slug] = rise
    return rises


def entry_of(board: VerdictBoard, rule: HeadlineRule, slug: str, verdict: dict[str, Any],
             rise: Rise | None) -> dict[str, Any]:
    service = board.service(slug)
    assert service is not None
    return {"slug": slug, "name": service.name, "category": service.category, "country": service.country,
            "aliases": list(service.aliases), **{key: verdict.get(key) for key in VERDICT_FIELDS},
            "headline": rule.describe(verdict, rise)}


def latest_window(board: VerdictBoard, bucket: int, seconds: float) -> tuple[datetime, datetime] | None:
    """The latest window any verdict on the board was scored to."""
    scored = [str(v["bucket"]) for s in board.services() if (v := board.verdict(s.slug)).get("bucket")]
    if not scored:
        return None
    return window_of({"bucket": max(scored)}, bucket, seconds)


async def busiest_services(board: VerdictBoard, rule: HeadlineRule, pool: asyncpg.Pool, bucket: int,
                           limit: int) -> list[dict[str, Any]]:
    """The services with the most reports and posts over the latest window, most first."""
    window = latest_window(board, bucket, rule.window_seconds)
    if window is None:
        return []
    entries = []
    for row in await queries.busiest(pool, window[0], window[1], limit):
        if board.service(row["service"]) is None:
            continue
        rise = Rise(observed=float(row["observed"]), expected=float(row["expected"]),
                    seconds=rule.window_seconds)
        entries.append(entry_of(board, rule, row["service"], board.verdict(row["service"]), rise))
    return entries


async def headline_services(board: VerdictBoard, rule: HeadlineRule, pool: asyncpg.Pool,
                            bucket: int) -> list[dict[str, Any]]:
    verdicts = {s.slug: board.verdict(s.slug) for s in board.services()}
    candidates = {slug: v for slug, v in verdicts.items() if rule.may_be_news(v)}
    rises = await latest_rises(pool, candidates, bucket, rule.window_seconds)
    entries = []
    for slug, verdict in candidates.items():
        rise = rises.get(slug)
        if rule.is_news(verdict, rise):
            entries.append(entry_of(board, rule, slug, verdict, rise))
    entries.sort(key=headline_rank)
    return entries


async def get_now(request: web.Request) -> web.Response:
    app = request.app
    board = app[BOARD]
    bucket = app[SETTINGS].bucket_seconds
    query = single_values(request.query, ("hours",))
    hours = parse_int("hours", query.get("hours"), default=3, low=1, high=48)
    span = hours * 3600
    step = max(bucket, (span // SPARK_POINTS) // bucket * bucket)
    latest = floor_to(board.published_at, bucket)
    end = floor_to(latest + timedelta(seconds=bucket), step)  # whole steps only: a partial last one dips
    start = floor_to(end - timedelta(seconds=span), step)
    pool = pool_of(request)

    async def build() -> Representation:
        try:
            entries = await headline_services(board, app[HEADLINE], pool, bucket)
            busiest = await busiest_services(board, app[HEADLINE], pool, bucket, BUSIEST_LIMIT)
            slugs = sorted({e["slug"] for e in entries + busiest})
            lines = await queries.sparklines(pool, slugs, start, end, step)
        except STORE_ERRORS as exc:
            raise store_failed(exc) from exc
        for entry in entries + busiest:
            entry["spark"] = lines.get(entry["slug"], [])
        document = {"at": board.published_at, "from": start, "to": end, "step": step,
                    "bucket_seconds": bucket, "window_seconds": app[HEADLINE].window_seconds,
                    "services": entries, "busiest": busiest}
        return Representation.of(document, board.published_at)

    answer = await app[STORE_ANSWERS].get(board.version, ("dashboard-now", hours), build)
    return cached_answer(request, answer, max_age(app))


def public_link(value: Any) -> str | None:
    """An http(s) URL to a public source, or None (nothing else is ever linked)."""
    if not isinstance(value, str) or len(value) > 2000:
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def evidence_entry(post: dict[str, Any]) -> dict[str, Any]:
    evidence = post["evidence"] if isinstance(post["evidence"], dict) else {}
    text = evidence.get("text") or evidence.get("title")
    return {"observed_at": post["observed_at"], "source": post["source"], "problem": post["problem"],
            "location": post["location"], "confidence": round(post["weight"], 3),
            "url": public_link(evidence.get("url")),
            "text": str(text)[:EVIDENCE_TEXT_LIMIT] if text else None}


def breakdowns(totals: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """Signals per problem and per kind, largest first. A probe signal is one check whose weight says
    whether it failed, so probes count their failed checks, not every check made."""
    problems: dict[str, int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)
    for row in totals:
        kinds[row["kind"]] += round(row["weight"]) if row["kind"] == "probe" else row["n"]
        if row["kind"] in ("report", "post"):
            problems[row["problem"]] += row["n"]
    return (dict(sorted(problems.items(), key=lambda kv: (-kv[1], kv[0]))),
            dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))))


def requested_range(board: VerdictBoard, bucket: int, query: dict[str, str]) -> tuple[datetime, datetime]:
    start, end = time_range(query, board.published_at, bucket, DEFAULT_SPAN)
    if end - start > MAX_SPAN:
        raise bad_parameter("from", f"from..to spans more than {MAX_SPAN.days} days; choose a shorter range")
    return start, end


async def get_service_data(request: web.Request) -> web.Response:
    app = request.app
    board = app[BOARD]
    service = require_service(board, request.match_info["slug"])
    bucket = app[SETTINGS].bucket_seconds
    start, end = requested_range(board, bucket, single_values(request.query, ("from", "to")))
    pool = pool_of(request)

    async def build() -> Representation:
        verdict = board.verdict(service.slug)
        try:
            changes = await queries.verdict_changes(pool, service.slug, start, end, CHANGE_LIMIT)
            totals = await queries.problem_totals(pool, service.slug, start, end)
            places = await queries.location_totals(pool, service.slug, start, end, LOCATION_LIMIT)
            posts = await queries.recent_posts(pool, service.slug, start, end, EVIDENCE_LIMIT)
            latest = await incidents(pool, service=service.slug, status=None, start=start, end=end,
                                     limit=1, offset=0)
            rise = (await latest_rises(pool, {service.slug: verdict}, bucket,
                                       app[HEADLINE].window_seconds)).get(service.slug)
            peak = None
            if latest and latest[0].get("peak_at") is not None:
                peak = await queries.score_at(pool, service.slug, latest[0]["peak_at"])
        except STORE_ERRORS as exc:
            raise store_failed(exc) from exc
        problems, kinds = breakdowns(totals)
        incident = None
        if latest:
            row = latest[0]
            facts = facts_of(row)
            summary = quotable_summary(service.name, facts, peak["expected"] if peak else None, bucket,
                                       verdict.get("official"), board.published_at)
            incident = {"id": row["id"], "status": facts.status, "severity": facts.severity,
                        "started_at": facts.started_at, "detected_at": facts.detected_at,
                        "peak_at": facts.peak_at, "peak_count": facts.peak_count,
                        "expected_at_peak": peak["expected"] if peak else None,
                        "ended_at": facts.ended_at, "summary": summary}
        document = {"service": service.slug, "name": service.name, "from": start, "to": end,
                    "bucket_seconds": bucket, "changes": changes, "problems": problems, "kinds": kinds,
                    "locations": places, "evidence": [evidence_entry(post) for post in posts],
                    "incident": incident, "verdict": verdict,
                    "headline": app[HEADLINE].describe(verdict, rise),
                    "official": official_gap(service.name, verdict["status"], verdict.get("official"))}
        return Representation.of(document, board.published_at)

    key = ("dashboard-service", service.slug, start, end)
    answer = await app[STORE_ANSWERS].get(board.version, key, build)
    return cached_answer(request, answer, max_age(app))


async def get_headline(request: web.Request) -> web.Response:
    """One service's verdict and what the headline rule lets a page print about it (the widget's
    figures: the same as the service page's header)."""
    app = request.app
    board = app[BOARD]
    service = require_service(board, request.match_info["slug"])
    single_values(request.query, ())
    rule = app[HEADLINE]
    pool = pool_of(request)

    async def build() -> Representation:
        verdict = board.verdict(service.slug)
        try:
            rises = await latest_rises(pool, {service.slug: verdict}, app[SETTINGS].bucket_seconds,
                                       rule.window_seconds)
        except STORE_ERRORS as exc:
            raise store_failed(exc) from exc
        document = {"service": service.slug, "name": service.name, "verdict": verdict,
                    "headline": rule.describe(verdict, rises.get(service.slug))}
        return Representation.of(document, board.published_at)

    answer = await app[STORE_ANSWERS].get(board.version, ("dashboard-headline", service.slug), build)
    return cached_answer(request, answer, max_age(app))


def add_routes(app: web.Application) -> None:
    app[HEADLINE] = HeadlineRule.of(DetectorSettings(bucket_seconds=app[SETTINGS].bucket_seconds))
    app.router.add_get("/dashboard/data/now", get_now)
    app.router.add_get("/dashboard/data/services/{slug}", get_service_data)
    app.router.add_get("/dashboard/data/headline/{slug}", get_headline)
