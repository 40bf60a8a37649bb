"""A board restamps quiet verdicts without re-serialising them: a GET shows the newer stamp, no
stream event is queued, and an older stamp never hides a newer verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from api.board import VerdictBoard
from downwatch.records import Service

T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)
B1, B2, B3 = "2025-02-04T08:00:00Z", "2025-02-04T08:00:10Z", "2025-02-04T08:00:20Z"


def _verdict(slug: str, bucket: str, status: str = "up") -> dict[str, object]:
    return {"service": slug, "status": status, "since": None, "score": 0.0, "bucket": bucket,
            "updated_at": bucket}


def _board() -> VerdictBoard:
    return VerdictBoard([Service("bt", "BT", "GB", "broadband"), Service("ee", "EE", "GB", "mobile")])


def test_a_restamped_verdict_is_served_as_of_the_new_bucket_without_an_event() -> None:
    board = _board()
    board.publish({"bt": _verdict("bt", B1), "ee": _verdict("ee", B1)}, T0)
    first = board.verdict_answer("bt")
    assert first is not None
    events = board.last_event_id
    version = board.version
    board.restamp(["bt", "ee", "gone"], B2, B2, T0 + timedelta(seconds=10))
    answer = board.verdict_answer("bt")
    assert answer is not None and answer.etag != first.etag
    assert orjson.loads(answer.body) == {**_verdict("bt", B2), "name": "BT"}
    assert answer.last_modified == T0 + timedelta(seconds=10)
    assert board.verdict("ee")["bucket"] == B2
    assert board.last_event_id == events and board.version > version  # listings are made again
    assert board.verdict_answer("bt") is answer  # made once per stamp


def test_a_changed_verdict_arrives_in_full_and_an_older_stamp_does_not_hide_it() -> None:
    board = _board()
    board.publish({"bt": _verdict("bt", B1), "ee": _verdict("ee", B1)}, T0)
    board.restamp(["bt", "ee"], B2, B2, T0 + timedelta(seconds=10))
    events = board.publish({"bt": _verdict("bt", B3, "down")}, T0 + timedelta(seconds=20))
    assert [(e.service, e.status_changed) for e in events] == [("bt", True)]
    assert board.verdict("bt") == _verdict("bt", B3, "down")
    assert board.verdict("ee")["bucket"] == B2
    board.restamp(["bt"], B2, B2, T0 + timedelta(seconds=21))  # a late stamp of an older bucket
    answer = board.verdict_answer("bt")
    assert answer is not None and orjson.loads(answer.body)["bucket"] == B3


def test_a_verdict_given_again_unchanged_makes_no_event() -> None:
    board = _board()
    board.publish({"bt": _verdict("bt", B1)}, T0)
    board.restamp(["bt"], B2, B2, T0 + timedelta(seconds=10))
    assert board.publish({"bt": _verdict("bt", B1)}, T0 + timedelta(seconds=11)) == []
    assert board.verdict("bt")["bucket"] == B2
