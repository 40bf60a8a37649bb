"""NAB realTweets through ``downwatch score``, and the same counts replayed as posts: false incidents.

    .venv/bin/python benchmarks/real_tweets.py [NAB_DIR] [--part tuning|held-out|all] [--per-file]

NAB_DIR is a folder in NAB's layout (default ``../shared/data/nab`` beside the checkout); its
``data/realTweets/*.csv`` files that ``labels/combined_windows.json`` names are used.

1. NAB score: every file is scored row by row by exactly the code ``downwatch score`` runs
   (``downwatch.runtime.commands.score.score_rows``), then NAB's method (``detector.nab``: one
   threshold per profile, optimised over the files scored together, normalised null 0 / perfect 100)
   gives the three profiles. The published detectors' figures (NAB_DIR/README.md) are over the five
   shared files, so they sit beside "all"; the tuning and held-out parts have their own optimised
   thresholds.
2. Incidents: the same counts replayed as ``post`` counts of one service in 5-minute buckets
   (``detector.replay.replay``, default settings, i.e. ``downwatch replay`` with
   ``--bucket-seconds 300``); an incident whose ``detected_at`` lies outside every labelled window is
   a false incident; per service-month = per 30 days of the file's span.

The tuning / held-out split is fixed in ``benchmarks/real_data.py`` (the two file names with the
smallest SHA-256 are the tuning files: AMZN and CRM of the shared five).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from real_data import DEFAULT_NAB, PARTS, in_part, tweet_parts

from detector.nab import PROFILES, LabelledFile, label_file, optimise
from detector.replay import replay
from downwatch.runtime.commands.score import read_series, score_rows

BUCKET_SECONDS = 300
MONTH_DAYS = 30.0
SHARED_FILES = 5
"""The published figures below are over the five shared realTweets files."""
PUBLISHED: dict[str, tuple[float, float, float]] = {
    "ARTime": (88.14, 82.28, 92.10),
    "Random Cut Forest": (79.52, 64.08, 86.35),
    "earthgecko Skyline": (77.83, 59.85, 85.22),
    "CAD OSE (contextOSE)": (76.01, 75.67, 77.76),
    "HTM (htmjava)": (70.06, 63.19, 73.79),
    "Numenta HTM": (67.39, 63.78, 69.93),
    "Twitter ADVec (S-H-ESD)": (66.02, 42.72, 75.26),
    "Windowed Gaussian": (64.78, 39.76, 74.44),
    "Bayesian changepoint": (20.85, 0.00, 36.81),
}


@dataclass(frozen=True, slots=True)
class TweetFile:
    name: str
    part: str
    timestamps: list[datetime]
    values: list[float]
    windows: list[tuple[datetime, datetime]]
    labelled: LabelledFile
    scores: list[float]


def load(nab_dir: Path, part: str) -> list[TweetFile]:
    windows_path = nab_dir / "labels" / "combined_windows.json"
    if not windows_path.is_file():
        raise SystemExit(f"real_tweets: {windows_path} not found; is {nab_dir} a NAB folder?")
    labels: dict[str, list[list[str]]] = json.loads(windows_path.read_text(encoding="utf-8"))
    names = sorted(k for k in labels if k.startswith("realTweets/") and (nab_dir / "data" / k).is_file())
    if not names:
        raise SystemExit(f"real_tweets: no realTweets files under {nab_dir / 'data'}")
    parts = tweet_parts([Path(n).name for n in names])
    files = []
    for name in names:
        if not in_part(parts[Path(name).name], part):
            continue
        rows = read_series(str(nab_dir / "data" / name))
        stamps = [datetime.fromisoformat(r.timestamp_text) for r in rows]
        windows = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in labels[name]]
        started = time.process_time()
        scores = score_rows(rows)
        seconds = time.process_time() - started
        print(f"  scored {name}: {len(rows)} rows in {seconds:.1f} s CPU", file=sys.stderr)
        files.append(TweetFile(name=name, part=parts[Path(name).name], timestamps=stamps,
                               values=[r.value for r in rows], windows=windows,
                               labelled=label_file(stamps, windows), scores=scores))
    return files


def nab_table(title: str, files: list[TweetFile], with_published: bool) -> None:
    results = [optimise([(f.labelled, f.scores) for f in files], p) for p in PROFILES]
    print(f"\nNAB, {title} ({len(files)} files: {', '.join(Path(f.name).stem[15:] for f in files)})")
    print(f"| {'detector':<28} | standard | reward low FP | reward low FN |")
    print(f"|{'-' * 30}|----------|---------------|---------------|")
    rows = [("downwatch score (this run)", tuple(r.normalized for r in results))]
    if with_published:
        rows += list(PUBLISHED.items())
    for name, (standard, low_fp, low_fn) in sorted(rows, key=lambda row: -row[1][0]):
        print(f"| {name:<28} | {standard:8.2f} | {low_fp:13.2f} | {low_fn:13.2f} |")
    print("thresholds: " + ", ".join(f"{r.profile.name} {r.threshold:.6f}" for r in results))


@dataclass(frozen=True, slots=True)
class Replayed:
    name: str
    part: str
    incidents: int
    outside: int
    windows_hit: int
    windows: int
    months: float


def replay_as_posts(f: TweetFile) -> Replayed:
    counts = pd.DataFrame({"service": Path(f.name).stem, "bucket": [t.isoformat() for t in f.timestamps],
                           "kind": "post", "count": f.values})
    result = replay(counts, keep_timeline=False, bucket_seconds=BUCKET_SECONDS)
    detected = pd.to_datetime(result.incidents["detected_at"], utc=True).dt.tz_localize(None)
    width = pd.Timedelta(seconds=BUCKET_SECONDS)
    inside = pd.Series(False, index=detected.index)
    hit = 0
    for start, end in f.windows:
        here = (detected >= pd.Timestamp(start).floor(width)) & (detected <= pd.Timestamp(end).floor(width))
        inside |= here
        hit += bool(here.any())
    span_days = (f.timestamps[-1] - f.timestamps[0]).total_seconds() / 86400.0
    return Replayed(name=f.name, part=f.part, incidents=len(detected), outside=int((~inside).sum()),
                    windows_hit=hit, windows=len(f.windows), months=span_days / MONTH_DAYS)


def incident_table(title: str, rows: list[Replayed]) -> None:
    outside, months = sum(r.outside for r in rows), sum(r.months for r in rows)
    print(f"\nreplayed as posts, {BUCKET_SECONDS} s buckets, {title}: {outside} incidents outside the "
          f"labelled windows over {months:.2f} service-months = {outside / months:.2f} per service-month "
          f"(target <= 1); windows with an incident {sum(r.windows_hit for r in rows)}/"
          f"{sum(r.windows for r in rows)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nab_dir", nargs="?", type=Path, default=DEFAULT_NAB)
    parser.add_argument("--part", choices=PARTS, default="all",
                        help="which part of the fixed split to report (default all, with each part)")
    parser.add_argument("--per-file", action="store_true", help="one line per file (incidents as posts)")
    parser.add_argument("--no-replay", action="store_true", help="skip the replay as posts")
    args = parser.parse_args()
    files = load(args.nab_dir, args.part)
    parts = [args.part] if args.part != "all" else ["tuning", "held-out", "all"]
    for part in parts:
        chosen = [f for f in files if in_part(f.part, part)]
        if chosen:
            nab_table(part, chosen, with_published=part == "all" and len(chosen) == SHARED_FILES)
    if args.no_replay:
        return 0
    replayed = [replay_as_posts(f) for f in files]
    if args.per_file:
        print()
        for r in replayed:
            print(f"  {r.name:<40} {r.part:<8} incidents {r.incidents:3d}, outside windows {r.outside:3d} "
                  f"({r.outside / r.months:.2f}/service-month), windows hit {r.windows_hit}/{r.windows}")
    for part in parts:
        chosen = [r for r in replayed if in_part(r.part, part)]
        if chosen:
            incident_table(part, chosen)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
