"""``downwatch score IN.csv [-o OUT.csv]``: anomaly scores for a NAB-format series, causally, row by row.

Input: CSV with a header naming the columns ``timestamp`` and ``value`` (any order, case and surrounding
spaces ignored; other columns are ignored). ``IN`` may be ``-`` for standard input.
Output: ``timestamp,value,anomaly_score`` with the timestamp and value text exactly as given and the
score in [0, 1] (a field holding a comma, quote or line break is quoted, as RFC 4180 says); to
standard output, or with ``-o`` to a file that appears only when complete (written to a temporary
file beside it and renamed), so an error never leaves a half-written file.

Rules for awkward input:

* The series is the counts of one service, run through the live detector (``detector.stream``): the
  score is the live detector's decision for the row's bucket (``detector.decision.onset_score``):
  below 0.5 how near its incident rule is to opening an incident; at least 0.5 exactly at the row
  where the alarm that decides its verdict opens (higher the further into incident territory); 0 on
  the later rows of that alarm, which raise nothing new.
* Every row is scored, in file order, as if it arrived live; the score of a row depends only on the
  rows before it and itself. The output has exactly the input's rows, in the input's order.
* The bucket width follows the series' median step; gaps and irregular steps are fine.
* Duplicate or out-of-order timestamps are scored in file order as they arrive; the detector's clock
  never goes backwards (such a row counts as the bucket after the latest one seen so far).
* Timestamps are ISO 8601 (``2015-02-26 21:42:53``, ``2015-02-26T21:42:53+01:00``, ``...Z``). A
  timestamp with an offset is converted to UTC for the detector; a naive timestamp is taken as UTC.
* Values may be negative (taken as 0) or fractional. A value that is not a finite number (empty, text, NaN,
  infinity) is refused.

Refused with one line naming the problem (exit status 2): an unreadable or missing file, an input
over 256 MiB (bytes read, so a device or pipe is capped too), a line over 1 MiB or a field over
128 KiB, more than 2,000,000 rows, an empty file, a first line that is not a header with
``timestamp`` and ``value``, a header without data rows, a row with too few fields, a timestamp
that is not ISO 8601, a non-numeric value. Row errors name the line number (the header is line 1).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from downwatch.errors import InputError
from downwatch.input_limits import MAX_INPUT_BYTES, check_rows, decode, display_name, lines, open_input

EXPECTED = "a timestamp,value CSV"


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """One input row: the text as given, and what the detector sees."""

    timestamp_text: str
    value_text: str
    epoch_seconds: float
    value: float


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "score", help="anomaly scores for a timestamp,value series (NAB format), computed causally",
        description="Read a timestamp,value CSV and write timestamp,value,anomaly_score, each score in "
                    "[0, 1] computed from that row and the rows before it.")
    parser.add_argument("input", metavar="IN.csv",
                        help="input CSV with a timestamp,value header ('-' for stdin)")
    parser.add_argument("-o", "--output", metavar="OUT.csv", help="output CSV (default: standard output)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    rows = read_series(args.input)
    lines = format_scored(rows, score_rows(rows))
    if args.output is None:
        sys.stdout.writelines(lines)
        sys.stdout.flush()
    else:
        write_atomically(Path(args.output), lines)
    return 0


def score_rows(rows: list[SeriesRow]) -> list[float]:
    """The live detector's onset score for every row (``detector.stream``: the series is one service)."""
    from detector.stream import score_series

    return score_series([row.epoch_seconds for row in rows], [row.value for row in rows])


def format_scored(rows: list[SeriesRow], scores: list[float]) -> Iterator[str]:
    """The output lines; a field holding a comma, quote or line break is quoted (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    yield "timestamp,value,anomaly_score\n"
    for row, score in zip(rows, scores, strict=True):
        writer.writerow((row.timestamp_text, row.value_text, f"{score:.12g}"))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def parse_epoch_seconds(text: str) -> float:
    """ISO 8601 to seconds since the epoch, UTC; a naive timestamp is taken as UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def read_series(source: str) -> list[SeriesRow]:
    """Read and validate the whole input before anything is scored or written.

    Read through ``downwatch.input_limits``: at most 256 MiB, lines of at most 1 MiB, 2,000,000 rows.
    """
    name = display_name(source)
    handle = open_input(source, EXPECTED)
    try:
        text_lines = (decode(raw, f"{name} line {number}")
                      for number, raw in lines(handle, name, EXPECTED, limit=MAX_INPUT_BYTES))
        return parse_series(text_lines, name)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def parse_series(text_lines: Iterable[str], name: str) -> list[SeriesRow]:
    reader = csv.reader(text_lines)
    try:
        return _rows(reader, name)
    except csv.Error as exc:
        raise InputError(f"{name} line {reader.line_num}: not a readable CSV row ({exc})") from None


def _rows(reader: Any, name: str) -> list[SeriesRow]:
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{name} is empty; expected a header 'timestamp,value' and data rows") from None
    columns = [cell.strip().lower() for cell in header]
    if "timestamp" not in columns or "value" not in columns:
        raise InputError(f"{name} line 1: expected a header naming the columns 'timestamp' and 'value', "
                         f"got {','.join(header)[:200]!r}")
    time_column, value_column = columns.index("timestamp"), columns.index("value")
    needed = max(time_column, value_column) + 1
    rows: list[SeriesRow] = []
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < needed:
            raise InputError(f"{name} line {line}: expected {needed} fields (timestamp,value), "
                             f"got {len(row)}")
        timestamp_text, value_text = row[time_column].strip(), row[value_column].strip()
        try:
            epoch = parse_epoch_seconds(timestamp_text)
        except ValueError:
            raise InputError(f"{name} line {line}: timestamp {timestamp_text[:80]!r} is not ISO 8601 "
                             f"(for example 2015-02-26 21:42:53)") from None
        try:
            value = float(value_text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InputError(f"{name} line {line}: value {value_text[:80]!r} is not a finite number")
        rows.append(SeriesRow(timestamp_text, value_text, epoch, value))
        check_rows(len(rows), name)
    if not rows:
        raise InputError(f"{name} has a header but no data rows")
    return rows


def write_atomically(path: Path, lines: Iterator[str]) -> None:
    """Write to a temporary file beside ``path`` and rename it into place, or leave nothing."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {path}: directory {directory} does not exist")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(lines)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror}") from exc
        raise
