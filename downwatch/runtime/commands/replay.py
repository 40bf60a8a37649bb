"""``downwatch replay IN [-o OUT]``: a history of counts or signals in; verdict timeline and incidents out.

IN is CSV, or JSON lines when its name ends in ``.jsonl``/``.ndjson``/``.json`` (``-``: standard input,
CSV unless the first character is ``{``). Which history it is follows from its columns:

* **counts** (has ``bucket``): the long layout of ``detector.frame`` —
  ``service,bucket,kind,count`` and optionally ``problem,weight,reporters,location,checks,indicator``;
* **signals** (has ``observed_at``): one row per signal — ``service,kind,observed_at`` and optionally
  ``problem,location,weight,author_hash`` (aggregated as the store does: ``downwatch.research.frames``).

Output without ``-o``: the timeline CSV on standard output. With ``-o OUT``: a directory OUT holding
``timeline.csv`` (``bucket,service,status,observed,expected,score,confidence``), ``incidents.csv`` and
``incidents.json`` (the incidents, as records); the files are written to a temporary directory and
moved into place only when complete, so an error never leaves a half-written file.

Refused with one line naming the row (exit status 2): missing columns, times that are not ISO 8601,
negative or non-numeric counts or weights, unknown kinds, an empty history. Bounded
(``downwatch.input_limits``): an input over 256 MiB (bytes read, so a device or pipe is capped too),
more than 2,000,000 rows, invalid JSON (lone surrogates and nesting deeper than 1,024 levels
included), or a history whose buckets times services exceed 5,000,000 cells (a replay holds every
cell in memory, about 350 bytes each) is refused too.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from downwatch.errors import InputError
from downwatch.input_limits import check_rows, decode, display_name, json_value, read_file

JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
EXPECTED = "a CSV or JSON lines file"
MAX_CELLS = 5_000_000

if TYPE_CHECKING:
    import pandas as pd


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay", help="verdict timeline and incidents from a history of counts or signals",
        description="Replay a history of counts or signals through the detector, bucket by bucket, "
                    "exactly as the live service would have seen it.")
    parser.add_argument("input", metavar="IN", help="counts or signals, CSV or JSON lines ('-' for stdin)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="directory for timeline.csv, incidents.csv and incidents.json "
                             "(default: timeline CSV on standard output)")
    parser.add_argument("--bucket-seconds", type=int, default=60, help="bucket width in seconds (default 60)")
    parser.add_argument("--warmup-days", type=float, default=None,
                        help="history needed before a verdict other than unknown (default 1)")
    parser.add_argument("--stale-after", type=int, default=None, metavar="BUCKETS",
                        help="a source silent for this many buckets counts as stopped (default: never)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from detector.frame import check_counts, to_arrays
    from detector.replay import replay_arrays
    from detector.settings import detector_settings
    from downwatch.research.frames import counts_from_signals

    if args.bucket_seconds < 1:
        raise InputError("--bucket-seconds must be at least 1")
    if args.stale_after is not None and args.stale_after < 1:
        raise InputError("--stale-after must be at least 1 bucket")
    table = read_table(args.input)
    if "observed_at" in table.columns:
        counts = counts_from_signals(table, args.bucket_seconds)
    elif "bucket" in table.columns:
        counts = table
    else:
        raise InputError(f"{args.input}: columns {', '.join(map(str, table.columns))} are neither counts "
                         "(service,bucket,kind,count) nor signals (service,kind,observed_at)")
    overrides: dict[str, Any] = {"bucket_seconds": args.bucket_seconds}
    if args.warmup_days is not None:
        overrides["warmup_days"] = args.warmup_days
    settings = detector_settings(**overrides)
    checked = check_counts(counts, settings.bucket_seconds)
    check_grid(checked, settings.bucket_seconds)
    history = to_arrays(checked, settings.bucket_seconds, args.stale_after)
    result = replay_arrays(history, settings)
    timeline = result.timeline.assign(bucket=result.timeline["bucket"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if args.output is None:
        timeline.to_csv(sys.stdout, index=False, float_format="%.6g")
        sys.stdout.flush()
        return 0
    write_directory(Path(args.output), {
        "timeline.csv": timeline.to_csv(index=False, float_format="%.6g"),
        "incidents.csv": incidents_csv(result.incidents),
        "incidents.json": json.dumps([r.to_dict() for r in result.incident_records], indent=1) + "\n",
    })
    sys.stderr.write(f"downwatch replay: {len(result.services)} services, "
                     f"{result.timeline['bucket'].nunique()} buckets, {len(result.incident_records)} "
                     f"incidents -> {args.output}\n")
    return 0


def check_grid(counts: pd.DataFrame, bucket_seconds: int) -> None:
    """Refuse a history whose dense grid (every bucket from the first to the last, times every
    service) would not fit in memory, before anything is allocated."""
    if counts.empty:
        return
    span = int((counts["bucket"].max() - counts["bucket"].min()).total_seconds())
    cells = (span // bucket_seconds + 1) * int(counts["service"].nunique())
    if cells > MAX_CELLS:
        raise InputError(f"the history spans {span // bucket_seconds + 1:,} buckets x "
                         f"{counts['service'].nunique():,} services = {cells:,} cells; one replay holds at "
                         f"most {MAX_CELLS:,}: split it by service or time, or use a wider --bucket-seconds")


def read_table(source: str) -> pd.DataFrame:
    """The input as a table of text cells (values are checked by the detector's readers)."""
    name = display_name(source)
    text = decode(read_file(source, EXPECTED), name)
    check_rows(text.count("\n"), name)
    if not text.strip():
        raise InputError(f"{source}: is empty")
    as_json = source.lower().endswith(JSON_SUFFIXES) or (source == "-" and text.lstrip().startswith("{"))
    return read_json_lines(source, text) if as_json else read_csv(source, text)


def read_csv(source: str, text: str) -> pd.DataFrame:
    import pandas as pd

    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{source}: not a readable CSV ({str(exc).strip().splitlines()[0]})") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    return table


def read_json_lines(source: str, text: str) -> pd.DataFrame:
    import pandas as pd

    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        record = json_value(line, f"{source}: line {number}")
        if not isinstance(record, dict):
            raise InputError(f"{source}: line {number} is not a JSON object")
        records.append(record)
    table = pd.DataFrame.from_records(records).astype(object)
    table.columns = [str(c).strip().lower() for c in table.columns]
    return table.where(table.notna(), "")


def incidents_csv(incidents: pd.DataFrame) -> str:
    import pandas as pd

    flat = incidents.copy()
    for column in ("problems", "locations"):
        flat[column] = flat[column].map(lambda d: json.dumps(d, separators=(",", ":")))
    for column in ("started_at", "detected_at", "peak_at", "ended_at"):
        flat[column] = pd.to_datetime(flat[column], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(flat.to_csv(index=False))


def write_directory(target: Path, files: dict[str, str]) -> None:
    """Write the files into ``target`` so that each appears only when complete."""
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a directory")
    parent = target.resolve().parent
    if not parent.is_dir():
        raise InputError(f"{target}: the directory {parent} does not exist")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        for name, content in files.items():
            (staging / name).write_text(content, encoding="utf-8")
        if not target.exists():
            os.rename(staging, target)
            return
        for name in files:
            os.replace(staging / name, target / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
