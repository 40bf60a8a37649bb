"""``parse`` of every source on recorded upstream payloads (tests/fixtures/upstream)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from downwatch.errors import InputError
from downwatch.records import Kind
from ingest.sources.base import MalformedPayload
from ingest.sources.bluesky import parse_events
from ingest.sources.mastodon import link_min_id, parse_sse, parse_statuses
from ingest.sources.probes import parse_probe_results
from ingest.sources.reddit import parse_listings
from ingest.sources.replay import parse_records, read_records
from ingest.sources.reports import report_observation
from ingest.sources.rss import parse_feed
from ingest.sources.statuspage import parse_statuspage
from ingest.sources.structured import StructuredSignals

UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"


def load(name: str) -> bytes:
    return (UPSTREAM / name).read_bytes()


def test_reddit_listing_posts_crossposts_and_a_broken_child() -> None:
    parsed = parse_listings(load("reddit_new.json"))
    ids = [o.external_id for o in parsed.observations]
    assert ids == ["t3_1h0abc1", "t3_1h0abc2", "t3_1h0abc3"]
    first, deleted, crosspost = parsed.observations
    assert first.text is not None and first.text.startswith("BT broadband down?\nRouter shows red light")
    assert first.author == "leeds_lad_92" and first.kind is Kind.POST
    assert first.observed_at == datetime.fromtimestamp(1732520100, UTC)
    assert first.url == "https://www.reddit.com/r/uktelecoms/comments/1h0abc1/bt_broadband_down/"
    assert deleted.author is None
    assert crosspost.repost_of == "t3_1h0zzz9"
    assert len(parsed.skipped) == 1 and "'name'" in parsed.skipped[0]


def test_reddit_comments_are_observations_too() -> None:
    parsed = parse_listings(load("reddit_comments.json"))
    assert [o.text for o in parsed.observations] == ["Same here in Manchester, no internet at all",
                                                     "Back up for me now"]
    assert parsed.observations[0].fields["thing"] == "t1"


def test_reddit_rejects_what_is_not_a_listing() -> None:
    with pytest.raises(MalformedPayload, match="Listing"):
        parse_listings(b'{"kind": "t3", "data": {}}')
    with pytest.raises(MalformedPayload, match="HTML"):
        parse_listings(b"<!DOCTYPE html><html><body>Our CDN is having a bad day</body></html>")
    with pytest.raises(MalformedPayload, match="UTF-8"):
        parse_listings(b'{"kind": "Listing", "data": {"children": [], "x": "\xff\xfe"}}')


def test_mastodon_statuses_strip_html_and_mark_boosts() -> None:
    parsed = parse_statuses(load("mastodon_public.json"))
    first, german, boost = parsed.observations
    assert first.text == "Is #Gmail down? Can't send anything & the web page just spins.\n" \
                         "Second paragraph\nwith a break"
    assert first.author == "anna" and first.external_id == "113538012345678901"
    assert german.text == "outage\nTelekom Internet seit heute morgen weg in Berlin"
    assert german.fields["language"] == "de"
    assert boost.repost_of == "https://mastodon.social/users/anna/statuses/113538012345678901"
    assert boost.text == "Is #Gmail down? Can't send anything & the web page just spins."
    assert parsed.skipped == ["Mastodon status 3: created_at = 'not a date' is not an ISO 8601 time"]


def test_mastodon_rejects_an_object_where_an_array_belongs() -> None:
    with pytest.raises(MalformedPayload, match="array"):
        parse_statuses(b'{"error": "This action is not allowed"}')


def test_link_header_min_id() -> None:
    header = ('<https://m.example/api/v1/timelines/public?max_id=100>; rel="next", '
              '<https://m.example/api/v1/timelines/public?min_id=205>; rel="prev"')
    assert link_min_id(header) == "205"
    assert link_min_id(None) is None


def test_sse_events_split_across_chunks() -> None:
    events, rest = parse_sse(b'event: update\ndata: {"id": "1"}\n\n:thump\n\nevent: update\ndata: {"i')
    assert events == [("update", '{"id": "1"}')]
    more, rest = parse_sse(rest + b'd": "2"}\n\n')
    assert more == [("update", '{"id": "2"}')] and rest == b""


def test_jetstream_posts_quotes_reposts_and_skips() -> None:
    parsed = parse_events(load("jetstream.jsonl"))
    post, quote, repost = parsed.observations
    assert post.external_id == "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3lbwdzsvwcs2c"
    assert post.text == "is discord down?? messages won't send"
    assert post.author == "did:plc:eygmaihciaxprqvxpfvl6flk"
    assert post.fields["langs"] == ["en"] and post.repost_of is None
    assert quote.repost_of == post.external_id
    assert quote.fields["reply_to"] == post.external_id
    assert repost.repost_of == post.external_id and repost.text is None
    # the delete and the identity event are not posts; the text-less post and the cut line are skipped
    assert len(parsed.skipped) == 2
    assert "'text'" in parsed.skipped[0] and "JSON" in parsed.skipped[1]


def test_jetstream_invalid_utf8_event_is_skipped_not_fatal() -> None:
    good = load("jetstream.jsonl").splitlines()[0]
    parsed = parse_events([b'{"did": "\xff", "kind": "commit"}', good])
    assert len(parsed.observations) == 1 and "UTF-8" in parsed.skipped[0]


def test_statuspage_summary_one_reading_and_one_observation_per_incident_update() -> None:
    parsed = parse_statuspage(load("statuspage_summary.json"), service="github")
    reading, *updates = parsed.observations
    assert reading.external_id == "srhpyqt94yxb:indicator:major:2024-11-25T08:40:12.345Z"
    assert reading.fields["indicator"] == "major" and reading.fields["failing"] is True
    assert [o.external_id for o in updates] == ["srhpyqt94yxb:p5k8r7mq2x1z:u2",
                                                "srhpyqt94yxb:p5k8r7mq2x1z:u1"]
    latest = updates[0]
    assert latest.kind is Kind.STATUS and latest.service == "github"
    assert latest.fields["impact"] == "major" and latest.fields["indicator"] == "major"
    assert latest.fields["components"] == ["Git Operations"]
    assert latest.fields["started_at"] == "2024-11-25T08:03:00.000Z" and latest.fields["failing"] is True
    # the older update lists no affected components: it falls back to the incident's
    assert updates[1].fields["components"] == ["Git Operations"]


def test_statuspage_reading_is_stamped_with_the_fetch_time() -> None:
    fetched = {"body": load("statuspage_summary.json"), "fetched_at": "2024-11-25T09:00:00+00:00"}
    reading = parse_statuspage(fetched, service="github").observations[0]
    assert reading.observed_at == datetime(2024, 11, 25, 9, 0, tzinfo=UTC)
    assert reading.external_id.endswith(":2024-11-25T08:40:12.345Z")


def test_statuspage_incidents_resolution_is_not_failing() -> None:
    parsed = parse_statuspage(load("statuspage_incidents.json"), service="github")
    by_id = {o.external_id.rsplit(":", 1)[1]: o for o in parsed.observations}
    assert by_id["o3"].fields["failing"] is False and by_id["o3"].fields["resolved_at"]
    # each update counts as of its own time: the early updates reported a failure then
    assert by_id["o1"].fields["failing"] is True and by_id["o2"].fields["failing"] is True
    assert parsed.skipped == ["incident 1: incident_updates is NoneType, expected an array"]
    with pytest.raises(MalformedPayload, match="page"):
        parse_statuspage(b'{"incidents": []}')


def test_rss_and_atom_entries() -> None:
    rss = parse_feed(load("status_feed.rss"), service="slack")
    open_incident, resolved = rss.observations
    assert open_incident.problem == "messaging" and open_incident.fields["failing"] is True
    assert resolved.problem == "login" and resolved.fields["failing"] is False
    assert open_incident.external_id == "https://status.slack.com/incidents/kq3l1f4z@2024-11-25T08:30:00+00:00"
    atom = parse_feed(load("status_feed.atom"), service="examplebank")
    assert [(o.problem, o.fields["failing"]) for o in atom.observations] == [("payments", True)]
    with pytest.raises(MalformedPayload, match="not RSS or Atom"):
        parse_feed(b'{"json": "instead"}')


def test_probe_results_fail_on_errors_and_5xx_only() -> None:
    parsed = parse_probe_results([
        {"service": "bt", "page": "website", "url": "https://bt.com/", "started_at": "2024-11-25T08:00:00Z",
         "status": 200, "error": None, "latency_ms": 120.0},
        {"service": "bt", "page": "login", "url": "https://bt.com/login",
         "started_at": "2024-11-25T08:00:01Z", "status": 503, "error": None, "latency_ms": 80.0},
        {"service": "bt", "page": "website", "started_at": "2024-11-25T08:00:02Z", "status": None,
         "error": "tls"},
        {"service": "bt", "page": "website", "started_at": "2024-11-25T08:00:03Z", "status": 403,
         "error": None},
        {"page": "website"},
    ])
    assert [o.fields["failing"] for o in parsed.observations] == [False, True, True, False]
    assert [o.problem for o in parsed.observations] == ["website", "login", "website", "website"]
    assert len(parsed.skipped) == 1


def test_replay_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl = (b'{"source": "report", "external_id": "r1", "observed_at": "2024-11-25T08:00:00Z", '
             b'"service": "bt", "problem": "login", "kind": "report", "location": "Leeds"}\n'
             b'not json at all\n'
             b'{"external_id": "p1", "observed_at": 1732521600, "text": "bt down?", "kind": "post"}\n')
    parsed = parse_records(read_records(jsonl, ".jsonl"))
    assert [(o.source, o.external_id, o.kind) for o in parsed.observations] == [
        ("report", "r1", Kind.REPORT), ("replay", "p1", Kind.POST)]
    assert len(parsed.skipped) == 1
    csv_bytes = b"external_id,observed_at,text,kind\nc1,2024-11-25T08:00:00Z,is bt down,post\n"
    assert parse_records(read_records(csv_bytes, ".csv")).observations[0].text == "is bt down"


def test_report_observation_and_its_signal() -> None:
    at = datetime(2024, 11, 25, 8, 0, tzinfo=UTC)
    obs = report_observation("bt", "login", "  Leeds ", "c0ffee", at, "rep-1")
    assert (obs.kind, obs.service, obs.problem, obs.location, obs.source) == (Kind.REPORT, "bt", "login",
                                                                              "Leeds", "report")
    signal = StructuredSignals(b"k").signal(obs)
    assert signal is not None and signal.author_hash != "c0ffee" and len(signal.author_hash or "") == 64
    with pytest.raises(InputError, match="problem 'sky' is not one of"):
        report_observation("bt", "sky", None, "c0ffee", at, "rep-2")


def test_structured_signals_weigh_status_by_impact_and_keep_resolutions_at_zero() -> None:
    summary = parse_statuspage(load("statuspage_summary.json"), service="github").observations
    resolved = parse_statuspage(load("statuspage_incidents.json"), service="github").observations
    signals = StructuredSignals(b"k").signals([*summary, *resolved])
    assert [s.external_id for s in signals] == [o.external_id for o in [*summary, *resolved]]
    assert all(s.kind is Kind.STATUS for s in signals)
    weights = {s.external_id: s.weight for s in signals}
    assert weights["srhpyqt94yxb:p5k8r7mq2x1z:u2"] == pytest.approx(2 / 3)  # an open major incident
    failing = {o.external_id for o in [*summary, *resolved] if o.fields["failing"]}
    assert all(weights[i] > 0 for i in failing)
    assert all(weights[i] == 0 for i in weights if i not in failing)


def test_routed_pipeline_sends_probes_and_status_to_structured_and_posts_to_text() -> None:
    from downwatch.catalog import load_catalog
    from ingest.sources.routing import default_pipeline

    pipeline = default_pipeline(load_catalog(), "k", 900)
    ok_probe, failed_probe = parse_probe_results([
        {"service": "bt", "page": "website", "started_at": "2024-11-25T08:00:00Z", "status": 200},
        {"service": "bt", "page": "login", "started_at": "2024-11-25T08:00:00Z", "status": 502}]).observations
    resolved = parse_statuspage(load("statuspage_incidents.json"), service="github").observations[0]
    posts = parse_events(load("jetstream.jsonl")).observations
    signals = pipeline.signals([ok_probe, failed_probe, resolved, *posts])
    by_id = {s.external_id: s for s in signals}
    assert by_id[ok_probe.external_id].weight == 0 and by_id[resolved.external_id].weight == 0
    assert by_id[failed_probe.external_id].weight == 1
    assert by_id[failed_probe.external_id].evidence["status"] == 502
    discord = [s for s in signals if s.kind is Kind.POST]
    assert [s.external_id for s in discord] == [posts[0].external_id]  # the quote and the repost don't count
    assert discord[0].service == "discord"
