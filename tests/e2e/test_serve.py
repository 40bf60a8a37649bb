"""`downwatch serve` as a real process: fake Reddit (praw), Mastodon, a status page and probed pages
over real HTTP, a real PostgreSQL; signals stored once, the verdict served, a clean SIGTERM, a restart
that resumes from its cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.prometheus import parse_exposition
from tests.e2e.serve_process import ServeProcess, child_environment, wait_for
from tests.e2e.stored import StoreSnapshot, snapshot
from tests.e2e.upstreams import SERVICE, SOURCE_NAMES, Upstreams, expected_signal_ids, running_upstreams

HASH_KEY = "e2e-serve-hash-key-0123456789abcdef"
BUCKET_SECONDS = 10
REDDIT_POSTS = 24
MASTODON_STATUSES = 24
LATER_POSTS = 5
STOP_SECONDS = 10.0


def healthy_sources(serve: ServeProcess) -> dict[str, dict[str, Any]] | None:
    answer = serve.get("/healthz")
    if answer.status != 200:
        return None
    sources = {row["source"]: row for row in answer.json()["sources"]}
    fresh = all(name in sources and sources[name]["state"] == "ok" for name in SOURCE_NAMES)
    return sources if fresh else None


def verdict_in_outage(serve: ServeProcess) -> dict[str, Any] | None:
    """The verdict once a whole bucket of the outage was scored: a major incident, every probe failing."""
    verdict: dict[str, Any] = serve.get(f"/v1/services/{SERVICE}").json()
    official = verdict.get("official") or {}
    probe = verdict.get("sources", {}).get("probe", {})
    return verdict if official.get("indicator") == "major" and probe.get("failing_share") == 1.0 else None


def stored_posts(dsn: str, reddit: set[str], mastodon: set[str]) -> StoreSnapshot | None:
    seen = snapshot(dsn, BUCKET_SECONDS)
    done = reddit <= set(seen.ids_of("reddit")) and mastodon <= set(seen.ids_of("mastodon"))
    return seen if done else None


def assert_stored_once(seen: StoreSnapshot, reddit: set[str], mastodon: set[str]) -> None:
    assert seen.doubled == []
    assert sorted(seen.ids_of("reddit")) == sorted(reddit)
    assert sorted(seen.ids_of("mastodon")) == sorted(mastodon)
    assert seen.stored_counts == seen.signal_counts  # counts per bucket agree with the signals, none doubled
    statuses = seen.ids_of(f"statuspage:{SERVICE}")
    assert "page1:inc1:upd1" in statuses and len(statuses) == len(set(statuses))
    assert len(seen.ids_of("probes")) >= 4


def expected_posts(upstreams: Upstreams) -> tuple[set[str], set[str]]:
    return (expected_signal_ids(upstreams.reddit_observations(), HASH_KEY),
            expected_signal_ids(upstreams.mastodon_observations(), HASH_KEY))


def check_api_during_outage(serve: ServeProcess) -> None:
    verdict = wait_for("the major incident and failing probes in the verdict",
                       lambda: verdict_in_outage(serve), timeout=30)
    assert verdict["service"] == SERVICE
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("history too short"), verdict["reason"]
    assert verdict["official"]["incident"] == "major"
    assert verdict["official"]["description"] == "Partial System Outage"
    probe = verdict["sources"]["probe"]
    assert probe["checks"] >= 2 and probe["observed"] == probe["checks"]
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
            upstreams.complain(REDDIT_POSTS, MASTODON_STATUSES)
            reddit, mastodon = expected_posts(upstreams)
            assert (len(reddit), len(mastodon)) == (REDDIT_POSTS, MASTODON_STATUSES)  # every complaint counts
            wait_for("the complaints in the store",
                     lambda: stored_posts(fresh_database_url, reddit, mastodon), timeout=30)
            check_api_during_outage(serve)
            health = healthy_sources(serve)
            assert health is not None and health["reddit"]["items_total"] == REDDIT_POSTS
            code, took = serve.terminate(STOP_SECONDS)
        finally:
            serve.kill()
        assert code == 0, serve.output()[-3000:]
        assert "Traceback" not in serve.output(), serve.output()[-3000:]
        first = snapshot(fresh_database_url, BUCKET_SECONDS)
        assert_stored_once(first, reddit, mastodon)
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
    print(f"serve stopped {took:.2f} s after SIGTERM")
