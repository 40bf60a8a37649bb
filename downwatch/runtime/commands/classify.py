"""``downwatch classify IN.jsonl [-o OUT.jsonl]``: the whole text pipeline over a file of posts.

Input: one JSON object a line with ``id`` (string or integer) and ``text`` (string); other keys are
ignored, blank lines skipped. ``IN`` may be ``-`` for standard input.
Output: one line per post, in input order:
``{"id", "service", "is_report", "problem", "confidence"}`` — ``service`` a catalog slug or null,
``problem`` null unless it is a report, ``confidence`` the calibrated probability that the post
reports ``service`` failing now (0 when it names no catalogue service) — plus ``"parent"``, the slug
of the service a product belongs to, where it has one (a report for ``google-pay`` counts for
``google`` too), and for a report naming more than one problem ``"problems"``: the main one first,
each with its weight (they sum to 1).

Posts are read and classified in batches, so memory stays flat on any input size; a line may hold
at most 1 MiB (``downwatch.input_limits``). A bad line (longer than that, invalid UTF-8, invalid JSON
— lone surrogates and nesting deeper than 1,024 levels included —, not an object, a missing or
mistyped ``id``/``text``) stops the run with one line naming its line number (exit status 2).
With ``-o`` the output file appears only when complete, so an error never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from downwatch.catalog import load_catalog
from downwatch.config import load_settings
from downwatch.errors import InputError
from downwatch.input_limits import decode, display_name, json_value, lines, open_input
from downwatch.runtime.commands.score import write_atomically

BATCH = 4096
EXPECTED = "a JSON lines file of {id, text} objects"

if TYPE_CHECKING:
    from ingest.text.pipeline import TextPipeline


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "classify", help="match, classify and weigh posts: {id,text} lines in, verdict lines out",
        description="Read JSON lines with id and text; write id, service, is_report, problem and "
                    "confidence for each.")
    parser.add_argument("input", metavar="IN.jsonl", help="input JSON lines ('-' for stdin)")
    parser.add_argument("-o", "--output", metavar="OUT.jsonl", help="output file (default: standard output)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ingest.text.pipeline import TextPipeline

    settings = load_settings(args.config)
    catalog = load_catalog(settings.catalog_path)
    pipeline = TextPipeline.default(catalog, hash_key="classify-only")
    name = display_name(args.input)
    with open_input(args.input, EXPECTED) as handle:
        lines = classified_lines(pipeline, posts(handle, name), catalog.parents())
        if args.output is None:
            for line in lines:
                sys.stdout.write(line)
            sys.stdout.flush()
        else:
            write_atomically(Path(args.output), lines)
    return 0


def parse_post(raw: bytes, number: int, name: str) -> tuple[str | int, str] | None:
    """(id, text) from one input line, None for a blank line, or InputError naming the line."""
    where = f"{name} line {number}"
    line = decode(raw, where)
    if not line.strip():
        return None
    post: Any = json_value(line, where)
    if not isinstance(post, dict):
        raise InputError(f"{where}: expected a JSON object with id and text, got {type(post).__name__}")
    for key in ("id", "text"):
        if key not in post:
            raise InputError(f"{where}: missing {key!r}; each line needs id and text")
    post_id, text = post["id"], post["text"]
    if isinstance(post_id, bool) or not isinstance(post_id, str | int):
        raise InputError(f"{where}: 'id' must be a string or an integer")
    if not isinstance(text, str):
        raise InputError(f"{where}: 'text' must be a string")
    return post_id, text


def posts(handle: IO[bytes], name: str) -> Iterator[tuple[str | int, str]]:
    for number, raw in lines(handle, name, EXPECTED):
        post = parse_post(raw, number, name)
        if post is not None:
            yield post


def classified_lines(pipeline: TextPipeline, source: Iterator[tuple[str | int, str]],
                     parents: Mapping[str, str]) -> Iterator[str]:
    batch: list[tuple[str | int, str]] = []
    for post in source:
        batch.append(post)
        if len(batch) == BATCH:
            yield from _classify(pipeline, batch, parents)
            batch = []
    if batch:
        yield from _classify(pipeline, batch, parents)


def _classify(pipeline: TextPipeline, batch: list[tuple[str | int, str]],
              parents: Mapping[str, str]) -> Iterator[str]:
    verdicts = pipeline.classify([text for _, text in batch])
    for (post_id, _), verdict in zip(batch, verdicts, strict=True):
        row: dict[str, object] = {"id": post_id, "service": verdict.service, "is_report": verdict.is_report,
                                  "problem": verdict.problem, "confidence": verdict.confidence}
        parent = parents.get(verdict.service or "")
        if parent is not None:
            row["parent"] = parent
        if len(verdict.problems) > 1:
            row["problems"] = dict(verdict.problems)
        yield json.dumps(row, ensure_ascii=False) + "\n"
