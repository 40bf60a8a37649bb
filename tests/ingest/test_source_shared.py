"""The pieces every source shares: the lazy HTTP session base, the skip-bad-items loop, HTML to
text, and the one Observation -> Signal conversion."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp import web

from downwatch.records import Kind, Observation, Problem
from ingest.sources.base import Cursor, FetchResult, Parsed
from ingest.sources.http import USER_AGENT, http_get
from ingest.sources.reports import report_observation
from ingest.sources.session import USER_AGENT_HEADERS, HttpSource
from ingest.sources.structured import StructuredSignals, observation_signal
from ingest.sources.values import ItemError, convert_each, require_dict, require_str
from ingest.text.html_text import html_to_text
from tests.fakes.server import serving

WHEN = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class EchoSource(HttpSource):
    """A minimal HTTP source: each fetch GETs one URL and hands back the body."""

    name = "echo"
    poll_seconds = 1.0
    session_headers = USER_AGENT_HEADERS

    def __init__(self, url: str) -> None:
        self.url = url

    async def fetch(self, cursor: Cursor | None) -> FetchResult:
        answer = await http_get(self.session(), self.url)
        return FetchResult(payload=answer.body, cursor={})

    def parse(self, payload: object) -> Parsed:
        return Parsed([])


def echo_app(seen: list[str]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("User-Agent", ""))
        return web.Response(body=b"ok")

    app = web.Application()
    app.router.add_get("/", handler)
    return app


async def test_http_source_opens_its_session_on_first_fetch_and_again_after_close() -> None:
    seen: list[str] = []
    async with serving(echo_app(seen)) as url:
        source = EchoSource(url + "/")
        assert source._session is None
        await source.close()  # closing a source that never fetched is harmless
        assert (await source.fetch(None)).payload == b"ok"
        first = source._session
        assert first is not None and not first.closed
        assert (await source.fetch(None)).payload == b"ok"
        assert source._session is first  # one session for every fetch
        await source.close()
        assert first.closed
        assert (await source.fetch(None)).payload == b"ok"
        assert source._session is not first and not source._session.closed
        await source.close()
    assert seen == [USER_AGENT] * 3


async def test_session_headers_go_on_every_request_of_the_session() -> None:
    class Plain(EchoSource):
        session_headers = HttpSource.session_headers

    seen: list[str] = []
    async with serving(echo_app(seen)) as url:
        for source in (EchoSource(url), Plain(url)):
            try:
                async with source.session().get(url + "/") as response:  # not through http_get
                    assert response.status == 200
            finally:
                await source.close()
    assert seen[0] == USER_AGENT
    assert seen[1].startswith("Python/") and "aiohttp" in seen[1]


def named(item: object) -> str:
    return require_str(require_dict(item, "item"), "name")


def test_convert_each_keeps_order_and_skips_bad_items_with_their_index() -> None:
    skipped: list[str] = ["earlier reason"]
    items = [{"name": "a"}, "junk", {"name": ""}, {"name": "b"}]
    assert convert_each(items, named, "thing", skipped) == ["a", "b"]
    assert skipped[0] == "earlier reason"
    assert skipped[1:] == ["thing 1: item is str, expected an object",
                           "thing 2: field 'name' missing or not a non-empty string"]


def test_convert_each_drops_none_silently_and_lets_other_errors_through() -> None:
    skipped: list[str] = []
    assert convert_each([1, 2, 3], lambda n: n if n != 2 else None, "n", skipped) == [1, 3]
    assert skipped == []

    def broken(item: object) -> str:
        raise KeyError("a bug, not a bad item")

    with pytest.raises(KeyError):
        convert_each([1], broken, "n", skipped)
    assert convert_each([1], broken, "n", skipped, errors=(KeyError, ItemError)) == []
    assert skipped == ["n 0: 'a bug, not a bad item'"]


def test_html_to_text_keeps_words_apart_and_unescapes() -> None:
    assert html_to_text("<p>a&amp;b</p><p>c<br>d</p>") == "a&b\nc\nd"
    mention = '<p><span class="h-card"><a href="x">@<span>bt</span></a></span> down?</p>'
    assert html_to_text(mention) == "@bt down?"
    assert html_to_text("<li>one   two</li><li>  </li>") == "one two"


def observation(kind: Kind, problem: str | None, fields: dict[str, object]) -> Observation:
    return Observation(source="s", external_id="x1", observed_at=WHEN, service="github", problem=problem,
                       kind=kind, fields=fields)


@pytest.mark.parametrize(("kind", "fields", "weight"), [
    (Kind.REPORT, {}, 1.0),
    (Kind.REPORT, {"weight": 7}, 1.0),
    (Kind.REPORT, {"weight": 0.25}, 0.25),
    (Kind.PROBE, {"failing": False}, 0.0),
    (Kind.PROBE, {"failing": True}, 1.0),
    (Kind.STATUS, {"failing": True, "impact": "major"}, 2 / 3),
    (Kind.STATUS, {"failing": False, "impact": "critical"}, 0.0),
])
def test_observation_signal_weighs_by_kind(kind: Kind, fields: dict[str, object], weight: float) -> None:
    signal = observation_signal(observation(kind, "login", fields), author="h", location="Leeds",
                                evidence={"k": 1})
    assert signal.weight == pytest.approx(weight)
    assert (signal.service, signal.kind, signal.problem) == ("github", kind, Problem.LOGIN)
    assert (signal.source, signal.external_id, signal.observed_at) == ("s", "x1", WHEN)
    assert (signal.author_hash, signal.location, signal.evidence) == ("h", "Leeds", {"k": 1})


def test_observation_signal_unknown_or_missing_problem_is_other() -> None:
    for problem in ("no-such-problem", None):
        signal = observation_signal(observation(Kind.REPORT, problem, {}), author=None, location=None,
                                    evidence={})
        assert signal.problem == Problem.OTHER


def test_structured_signals_and_the_report_route_convert_a_report_alike() -> None:
    report = report_observation("github", "login", "Leeds", "client-hash", WHEN, "r1")
    routed = StructuredSignals(b"k").signal(report)
    direct = observation_signal(report, author="client-hash", location=report.location, evidence={})
    assert routed is not None
    assert routed.evidence == {}  # author_is_hashed is bookkeeping, not evidence
    same = ("service", "kind", "problem", "observed_at", "source", "external_id", "weight", "location")
    assert [getattr(routed, name) for name in same] == [getattr(direct, name) for name in same]
