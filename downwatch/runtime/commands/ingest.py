"""``downwatch ingest SOURCE --load FILE [-o OUT.jsonl]``: recorded upstream payloads parsed offline
into observations, one JSON object a line."""

from __future__ import annotations

import argparse
import secrets
import sys
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from downwatch.config import load_settings
from downwatch.errors import InputError
from ingest.sources.offline import observation_json, parse_file, source_names
from ingest.text.dedup import author_hash


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ingest", help="parse recorded upstream payloads into observations (offline)",
        description="Parse a recorded upstream payload (Reddit listing JSON, Mastodon statuses JSON, "
                    "Jetstream events JSONL, Statuspage summary.json/incidents.json, RSS/Atom XML, "
                    "probe results JSON, replay JSONL/CSV) into observations, one JSON object a line. "
                    "Authors appear only as keyed hashes (key: hash_key, or a random one per run).")
    parser.add_argument("source", metavar="SOURCE", help=f"one of: {', '.join(source_names())}")
    parser.add_argument("--load", metavar="FILE", required=True, type=Path, help="the recorded payload")
    parser.add_argument("-o", "--output", metavar="OUT.jsonl", type=Path, help="write here (default: stdout)")
    parser.add_argument("--service", metavar="SLUG", help="service slug for status pages and feeds")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    parsed = parse_file(args.source, args.load, args.service)
    key = settings.hash_key.encode() if settings.hash_key else secrets.token_bytes(32)
    hash_author = partial(author_hash, key)
    lines = b"".join(orjson.dumps(observation_json(o, hash_author)) + b"\n" for o in parsed.observations)
    if args.output is None:
        sys.stdout.buffer.write(lines)
        sys.stdout.flush()
    else:
        try:
            args.output.write_bytes(lines)
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc.strerror}") from exc
    if parsed.skipped:
        sys.stderr.write(f"downwatch ingest: skipped {len(parsed.skipped)} malformed item(s); "
                         f"first: {parsed.skipped[0]}\n")
    return 0
