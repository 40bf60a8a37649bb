"""Parsing recorded upstream payloads without a network: what ``downwatch ingest --load`` runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from downwatch.errors import InputError
from downwatch.input_limits import read_all
from downwatch.records import Observation
from ingest.sources.base import MalformedPayload, Parsed
from ingest.sources.bluesky import parse_events
from ingest.sources.mastodon import parse_statuses
from ingest.sources.probes import parse_probe_results
from ingest.sources.reddit import parse_listings
from ingest.sources.replay import parse_records, read_records
from ingest.sources.rss import parse_feed
from ingest.sources.statuspage import parse_statuspage

MAX_FILE_BYTES = 256 * 1024 * 1024


def _probes(data: bytes, service: str | None, path: Path) -> Parsed:
    try:
        return parse_probe_results(orjson.loads(data))
    except orjson.JSONDecodeError as exc:
        raise MalformedPayload(f"probe results: not valid JSON ({exc})") from exc


PARSERS: dict[str, Callable[[bytes, str | None, Path], Parsed]] = {
    "reddit": lambda data, service, path: parse_listings(data),
    "mastodon": lambda data, service, path: parse_statuses(data),
    "bluesky": lambda data, service, path: parse_events(data),
    "statuspage": lambda data, service, path: parse_statuspage(data, service=service),
    "rss": lambda data, service, path: parse_feed(data, service=service),
    "probes": _probes,
    "replay": lambda data, service, path: parse_records(read_records(data, path.suffix)),
}
ALIASES = {"jetstream": "bluesky", "atom": "rss", "status": "statuspage"}


def source_names() -> list[str]:
    return sorted([*PARSERS, *ALIASES])


def parse_file(source: str, path: Path, service: str | None = None) -> Parsed:
    """Observations from a recorded payload file; ``InputError`` when the file cannot be used."""
    key = ALIASES.get(source, source)
    parser = PARSERS.get(key)
    if parser is None:
        raise InputError(f"unknown source {source!r}; choose one of: {', '.join(source_names())}")
    try:
        with path.open("rb") as handle:  # the bytes read are counted: st_size is 0 for a device or pipe
            data = read_all(handle, str(path), "a recorded payload file", MAX_FILE_BYTES)
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a directory, not a recorded payload file") from exc
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror}") from exc
    try:
        return parser(data, service, path)
    except MalformedPayload as exc:
        raise InputError(f"{path} is not a recorded {key} payload: {exc}") from exc


def observation_json(observation: Observation, hash_author: Callable[[str, str], str]) -> dict[str, Any]:
    """An observation as one JSON object; the author appears only as a keyed hash."""
    return {
        "source": observation.source, "external_id": observation.external_id,
        "observed_at": observation.observed_at.isoformat().replace("+00:00", "Z"),
        "kind": observation.kind.value if observation.kind else None,
        "service": observation.service, "problem": observation.problem, "text": observation.text,
        "author_hash": hash_author(observation.source, observation.author) if observation.author else None,
        "url": observation.url, "location": observation.location, "repost_of": observation.repost_of,
        "fields": observation.fields,
    }
