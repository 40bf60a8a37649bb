"""GET /v1/stream: server-sent events of verdict changes over a real connection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.api.conftest import Conformance, board_of

AT = datetime(2025, 2, 4, 8, 40, tzinfo=UTC)


async def read_events(response: ClientResponse, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Parse SSE frames until ``count`` events (comments are collected as {"comment": ...})."""
    events: list[dict[str, Any]] = []
    frame: dict[str, Any] = {}

    async def read() -> None:
        nonlocal frame
        while len(events) < count:
            raw = await response.content.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\n")
            if line == "":
                if frame:
                    events.append(frame)
                frame = {}
            elif line.startswith(":"):
                frame["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(": ")
                frame[name] = value

    await asyncio.wait_for(read(), timeout)
    return events


def verdicts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [orjson.loads(e["data"]) for e in events if e.get("event") == "verdict"]


async def test_stream_starts_with_current_verdicts_then_delivers_a_change(client: TestClient[Any, Any],
                                                                         conformance: Conformance) -> None:
    board = board_of(client)
    board.publish({"bt": {"status": "up", "explanation": "quiet"}}, AT)
    response = await client.get("/v1/stream?service=bt,github")
    conformance.schema_for("GET", "/v1/stream", response.status, response.content_type)
    assert response.status == 200
    assert response.content_type == "text/event-stream"
    first = await read_events(response, 3)
    assert first[0] == {"retry": "5000"}
    assert {v["service"]: v["status"] for v in verdicts(first)} == {"bt": "up", "github": "unknown"}

    board.publish({"bt": {"status": "down", "explanation": "412 reports"}}, AT + timedelta(seconds=5))
    board.publish({"gitlab": {"status": "down", "explanation": "not followed"}}, AT + timedelta(seconds=6))
    board.publish({"github": {"status": "degraded", "explanation": "slow"}}, AT + timedelta(seconds=7))
    changes = [e for e in await read_events(response, 4) if "event" in e][:2]
    assert [(v["service"], v["status"]) for v in verdicts(changes)] == [("bt", "down"),
                                                                       ("github", "degraded")]
    assert int(changes[1]["id"]) > int(changes[0]["id"])
    response.close()


async def test_last_event_id_replays_exactly_the_missed_events(client: TestClient[Any, Any]) -> None:
    board = board_of(client)
    board.publish({"bt": {"status": "up", "explanation": "quiet"}}, AT)
    seen = board.publish({"bt": {"status": "down", "explanation": "outage"}}, AT + timedelta(seconds=5))
    board.publish({"bt": {"status": "degraded", "explanation": "recovering"}}, AT + timedelta(seconds=10))
    board.publish({"bt": {"status": "up", "explanation": "over"}}, AT + timedelta(seconds=15))
    response = await client.get("/v1/stream", headers={"Last-Event-ID": str(seen[0].id)})
    events = [e for e in await read_events(response, 3) if "event" in e]
    assert [v["status"] for v in verdicts(events)] == ["degraded", "up"]
    response.close()


async def test_score_only_changes_are_sent_when_asked(client: TestClient[Any, Any]) -> None:
    board = board_of(client)
    board.publish({"bt": {"status": "up", "score": 0.1, "explanation": "quiet"}}, AT)
    plain = await client.get("/v1/stream?service=bt")
    scored = await client.get("/v1/stream?service=bt&scores=true")
    await read_events(plain, 2)
    await read_events(scored, 2)
    board.publish({"bt": {"status": "up", "score": 0.2, "explanation": "quiet"}}, AT + timedelta(seconds=5))
    got = verdicts([e for e in await read_events(scored, 1) if "event" in e])
    assert got[0]["score"] == 0.2
    heartbeat_only = await read_events(plain, 1)
    assert heartbeat_only == [{"comment": "heartbeat"}]
    plain.close()
    scored.close()


async def test_stream_rejects_unknown_services_and_parameters(client: TestClient[Any, Any],
                                                              conformance: Conformance) -> None:
    unknown = await client.get("/v1/stream?service=bt,githib")
    assert unknown.status == 404
    assert (await conformance.check("GET", "/v1/stream", unknown))["closest"][0] == "github"
    bad = await client.get("/v1/stream?scores=maybe")
    assert bad.status == 400
    await conformance.check("GET", "/v1/stream", bad)


async def test_subscriber_count_is_exported(client: TestClient[Any, Any]) -> None:
    response = await client.get("/v1/stream")
    await read_events(response, 1)
    text = await (await client.get("/metrics")).text()
    assert "downwatch_sse_clients 1" in text
    response.close()
    for _ in range(50):
        await asyncio.sleep(0.05)
        if board_of(client).subscriber_count == 0:
            break
    assert board_of(client).subscriber_count == 0
