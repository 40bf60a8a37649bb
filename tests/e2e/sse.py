"""Reading a server-sent-events stream over real HTTP until an event says what the test waits for."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any


def first_event_where(url: str, wanted: Callable[[dict[str, Any]], bool], timeout: float
                      ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first ``verdict`` event whose data satisfies ``wanted``, and every event read before it."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        event, data = "message", ""
        while time.monotonic() < deadline:
            line = response.readline().decode()
            if not line:
                break
            line = line.rstrip("\n")
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                data += line.partition(":")[2].strip()
            elif line == "" and data:
                document = json.loads(data)
                if event == "verdict":
                    if wanted(document):
                        return document, seen
                    seen.append(document)
                event, data = "message", ""
    raise AssertionError(f"no wanted event within {timeout:g} s from {url}; saw {len(seen)}: {seen[-1:]!r}")
