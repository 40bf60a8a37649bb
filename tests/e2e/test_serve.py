"""`downwatch serve` as a real process: fake Reddit (praw), Mastodon, a status page and probed pages
over real HTTP, a real PostgreSQL; signals stored once, the verdict served, a clean SIGTERM, a restart
that resumes from its cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.sources.reports import SOURCE_NAME as REPORTS
from ingest.text.dedup import author_hash
from tests.e2e.prometheus import parse_exposition
from tests.e2e.serve_process import ServeProcess, child_environment, wait_for
from tests.e2e.sse import first_event_where
from tests.e2e.stored import StoreSnapshot, evidence_mentions, snapshot
from tests.e2e.upstreams import SERVICE, SOURCE_NAMES, Upstreams, expected_signal_ids, running_upstreams

HASH_KEY = "e2e-serve-hash-key-0123456789abcdef"
BUCKET_SECONDS = 10
REDDIT_POSTS = 24
MASTODON_STATUSES = 24
LATER_POSTS = 5
STOP_SECONDS = 10.0
REPORTER_AGENT = "e2e-reporter/1.0"


def healthy_sources(serve: ServeProcess) -> dict[str, dict[str, Any]] | None:
    answer = serve.get("/healthz")
    if answer.status != 200:
        return None
    sources = {row["source"]: row for row in answer.json()["sources"]}
    fresh = all(name in sources and sources[name]["state"] == "ok" for name in SOURCE_NAMES)
    return sources if fresh else None


def in_outage(verdict: dict[str, Any]) -> bool:
    """Whether a whole bucket of the outage was scored: a major official incident, every probe failing."""
    official = verdict.get("official") or {}
    probe = verdict.get("sources", {}).get("probe", {})
    return official.get("indicator") == "major" and probe.get("failing_share") == 1.0


def stored_posts(dsn: str, reddit: set[str], mastodon: set[str]) -> StoreSnapshot | None:
    seen = snapshot(dsn, BUCKET_SECONDS)
    done = reddit <= set(seen.ids_of("reddit")) and mastodon <= set(seen.ids_of("mastodon"))
    return seen if done else None


def assert_stored_once(seen: StoreSnapshot, reddit: set[str], mastodon: set[str]) -> None:
    assert seen.doubled == []
    assert sorted(seen.ids_of("reddit")) == sorted(reddit)
    assert sorted(seen.ids_of("mastodon")) == sorted(mastodon)
    assert len(seen.ids_of(REPORTS)) == 1 and seen.locations[REPORTS] == ["London"]
    assert seen.stored_counts == seen.signal_counts  # counts per bucket agree with the signals, none doubled
    statuses = seen.ids_of(f"statuspage:{SERVICE}")
    assert "page1:inc1:upd1" in statuses and len(statuses) == len(set(statuses))
    assert len(seen.ids_of("probes")) >= 4


def assert_authors_only_hashed(dsn: str, seen: StoreSnapshot, upstreams: Upstreams) -> None:
    key = HASH_KEY.encode()
    for source, observations in (("reddit", upstreams.reddit_observations()),
                                 ("mastodon", upstreams.mastodon_observations())):
        hashes = {author_hash(key, source, o.author) for o in observations if o.author}
        stored = seen.author_hashes[source]
        assert stored <= hashes and len(stored) == len(seen.ids_of(source))  # one distinct author each
    # Mastodon evidence keeps the post URL, which names the author (https://host/@acct/id): reported, not
    # checked here until ingest drops or rewrites it.
    assert evidence_mentions(dsn, "redditor") == 0
    [client] = seen.author_hashes[REPORTS]
    assert client is not None and len(client) >= 32 and int(client, 16) >= 0
    assert evidence_mentions(dsn, "127.0.0.1") == evidence_mentions(dsn, REPORTER_AGENT) == 0


def report_twice(serve: ServeProcess) -> None:
    """A user's report over HTTP, and the same user again in the same window (stored once)."""
    report = {"service": SERVICE, "problem": "login", "location": "London"}
    first = serve.post("/v1/reports", report, REPORTER_AGENT)
    assert first.status == 202 and first.json()["counted"] is True, first.body
    again = serve.post("/v1/reports", report, REPORTER_AGENT)
    assert again.status == 202 and again.json()["counted"] is False, again.body


def health_after_outage(serve: ServeProcess) -> dict[str, dict[str, Any]] | None:
    """Source health once every source is fine again, Mastodon's 503 was recorded, and every post fetched."""
    sources = healthy_sources(serve) or {}
    recovered = sources.get("mastodon", {}).get("errors_total", 0) >= 1
    return sources if recovered and sources["reddit"]["items_total"] == REDDIT_POSTS else None


def expected_posts(upstreams: Upstreams) -> tuple[set[str], set[str]]:
    return (expected_signal_ids(upstreams.reddit_observations(), HASH_KEY),
            expected_signal_ids(upstreams.mastodon_observations(), HASH_KEY))


def check_api_during_outage(serve: ServeProcess) -> None:
    streamed, before = first_event_where(f"{serve.url}/v1/stream?service={SERVICE}&scores=true", in_outage,
                                         timeout=30)
    assert all(event["service"] == SERVICE for event in before)
    verdict = serve.get(f"/v1/services/{SERVICE}").json()
    assert in_outage(verdict) and verdict["bucket"] >= streamed["bucket"]
    assert verdict["service"] == SERVICE
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("history too short"), verdict["reason"]
    assert verdict["official"]["incident"] == "major"
    assert verdict["official"]["description"] == "Partial System Outage"
    probe = verdict["sources"]["probe"]
    assert probe["checks"] >= 2 and probe["observed"] == probe["checks"]
    missing = serve.get("/v1/services/no-such-service")
    assert missing.status == 404 and missing.headers["Content-Type"].startswith("application/problem+json")
    listing = serve.get("/v1/services").json()
    assert listing["count"] > 100
    timeline = serve.get(f"/v1/services/{SERVICE}/timeline").json()
    assert timeline["step"] == BUCKET_SECONDS
    assert sum(point["observed"] for point in timeline["points"]) > 0
    metrics = serve.get("/metrics")
    assert metrics.status == 200
    assert metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = parse_exposition(metrics.body.decode())
    verdicts = dict(families["downwatch_verdicts"])
    assert verdicts['downwatch_verdicts{status="unknown"}'] == listing["count"]
    assert any(value > 0 for _, value in families["downwatch_http_requests_total"])


def test_serve_ingests_serves_stops_and_resumes(fresh_database_url: str, tmp_path: Path) -> None:
    env = child_environment(DATABASE_URL=fresh_database_url, DOWNWATCH_HASH_KEY=HASH_KEY,
                            DOWNWATCH_BUCKET_SECONDS=str(BUCKET_SECONDS), DOWNWATCH_TICK_SECONDS="1")
    config = tmp_path / "serve.toml"
    log = tmp_path / "serve.log"
    with running_upstreams() as upstreams:
        config.write_text(upstreams.config_toml())
        serve = ServeProcess(config, env, log)
        try:
            wait_for("every source's first success in /healthz", lambda: healthy_sources(serve), timeout=30)
            upstreams.outage()
            upstreams.mastodon.faults.queue("public", "503")
            upstreams.complain(REDDIT_POSTS, MASTODON_STATUSES)
            report_twice(serve)
            reddit, mastodon = expected_posts(upstreams)
            assert (len(reddit), len(mastodon)) == (REDDIT_POSTS, MASTODON_STATUSES)  # every complaint counts
            wait_for("the complaints in the store",
                     lambda: stored_posts(fresh_database_url, reddit, mastodon), timeout=30)
            check_api_during_outage(serve)
            # /healthz is rebuilt once per published bucket, so its news can lag a bucket behind
            health = wait_for("the Mastodon 503 and every Reddit post in /healthz",
                              lambda: health_after_outage(serve), timeout=40)
            last_error = health["mastodon"]["last_error"]
            assert "ServerError" in last_error and "503" in last_error
            code, took = serve.terminate(STOP_SECONDS)
        finally:
            serve.kill()
        assert code == 0, serve.output()[-3000:]
        assert "Traceback" not in serve.output(), serve.output()[-3000:]
        first = snapshot(fresh_database_url, BUCKET_SECONDS)
        assert_stored_once(first, reddit, mastodon)
        assert_authors_only_hashed(fresh_database_url, first, upstreams)
        assert {"reddit", "mastodon"} <= set(first.cursors)

        requests_before = len(upstreams.mastodon.requests)
        upstreams.complain(LATER_POSTS, LATER_POSTS)
        reddit, mastodon = expected_posts(upstreams)
        again = ServeProcess(config, env, log)
        try:
            wait_for("the later complaints in the store",
                     lambda: stored_posts(fresh_database_url, reddit, mastodon), timeout=30)
            code, _ = again.terminate(STOP_SECONDS)
        finally:
            again.kill()
        assert code == 0, again.output()[-3000:]
    after = snapshot(fresh_database_url, BUCKET_SECONDS)
    assert_stored_once(after, reddit, mastodon)
    assert len(after.ids_of("reddit")) == REDDIT_POSTS + LATER_POSTS
    # resumed from the cursors: nothing fetched before the restart was fetched again
    assert after.items_total["reddit"] == REDDIT_POSTS + LATER_POSTS
    assert after.items_total["mastodon"] == 1 + MASTODON_STATUSES + LATER_POSTS
    assert "min_id=" in upstreams.mastodon.requests[requests_before]
    print(f"serve listened {serve.listening_after:.2f} s after start "
          f"(restart: {again.listening_after:.2f} s) and stopped {took:.2f} s after SIGTERM")
