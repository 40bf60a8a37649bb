"""NAB scores of ``downwatch score`` (the live detector), beside the published detectors, and throughput.

    .venv/bin/python benchmarks/nab_score.py [NAB_DIR]

NAB_DIR is a folder in NAB's layout (``data/<category>/<file>.csv`` and
``labels/combined_windows.json``); default ``../shared/data/nab`` beside the checkout when it exists.
Every file is scored row by row by the live detector (``detector.stream``, one set of settings),
then NAB's method (detector.nab) picks one threshold per
profile over the file set, exactly as NAB's own protocol does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from detector.nab import PROFILES, CorpusResult, LabelledFile, label_file, optimise
from detector.stream import score_series
from downwatch.errors import InputError
from downwatch.runtime.commands.score import read_series

DEFAULT_NAB_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nab"

# The published detectors on the same files (standard, reward low FP, reward low FN), from the
# table in that folder's README.md.
PUBLISHED_TWEETS: dict[str, tuple[float, float, float]] = {
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
PUBLISHED_ALL: dict[str, tuple[float, float, float]] = {
    "ARTime": (73.87, 64.51, 79.33),
    "HTM (htmjava)": (63.20, 53.81, 68.15),
    "Numenta HTM": (63.19, 56.98, 67.33),
    "CAD OSE (contextOSE)": (60.34, 56.68, 63.80),
    "KNN CAD": (53.40, 33.47, 62.43),
    "Twitter ADVec (S-H-ESD)": (46.14, 28.58, 53.52),
    "Windowed Gaussian": (32.11, 18.45, 38.48),
}


def nab_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


Published = dict[str, tuple[float, float, float]]


def print_table(title: str, ours: list[CorpusResult], published: Published) -> None:
    print(f"\n{title}")
    print(f"| {'detector':<28} | standard | reward low FP | reward low FN |")
    print(f"|{'-' * 30}|----------|---------------|---------------|")
    rows = [("downwatch (this run)", tuple(r.normalized for r in ours)), *published.items()]
    for name, (standard, low_fp, low_fn) in sorted(rows, key=lambda row: -row[1][0]):
        print(f"| {name:<28} | {standard:8.2f} | {low_fp:13.2f} | {low_fn:13.2f} |")
    print("thresholds: " + ", ".join(f"{r.profile.name} {r.threshold:.4f}" for r in ours))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nab_dir", nargs="?", type=Path, help="a folder in NAB's layout")
    parser.add_argument("--per-file", action="store_true", help="also print each file's standard score")
    args = parser.parse_args()
    nab_dir: Path | None = args.nab_dir or (DEFAULT_NAB_DIR if DEFAULT_NAB_DIR.is_dir() else None)
    if nab_dir is None:
        print(f"nab_score: no NAB folder given and {DEFAULT_NAB_DIR} does not exist; "
              "pass the path of a folder in NAB's layout", file=sys.stderr)
        return 2
    windows_path = nab_dir / "labels" / "combined_windows.json"
    if not windows_path.is_file():
        print(f"nab_score: {windows_path} not found; is {nab_dir} a NAB folder?", file=sys.stderr)
        return 2
    windows: dict[str, list[list[str]]] = json.loads(windows_path.read_text())

    scored: dict[str, tuple[LabelledFile, list[float]]] = {}
    total_rows, scoring_seconds = 0, 0.0
    for relative in sorted(windows):
        path = nab_dir / "data" / relative
        if not path.is_file():
            continue
        try:
            rows = read_series(str(path))
        except InputError as exc:
            print(f"nab_score: {exc.detail}", file=sys.stderr)
            return 2
        started = time.perf_counter()
        scores = score_series([row.epoch_seconds for row in rows], [row.value for row in rows])
        scoring_seconds += time.perf_counter() - started
        total_rows += len(rows)
        bounds = [(nab_timestamp(start), nab_timestamp(end)) for start, end in windows[relative]]
        labelled = label_file([nab_timestamp(row.timestamp_text) for row in rows], bounds)
        scored[relative] = (labelled, scores)
    if not scored:
        print(f"nab_score: no data files of {windows_path} found under {nab_dir / 'data'}", file=sys.stderr)
        return 2

    print(f"NAB folder: {nab_dir} ({len(scored)} files, {total_rows} rows)")
    print(f"throughput: {total_rows / scoring_seconds:,.0f} rows/s "
          f"({scoring_seconds:.1f} s of scoring, one core, row by row)")
    tweets = [pair for name, pair in scored.items() if name.startswith("realTweets/")]
    if tweets:
        print_table(f"realTweets ({len(tweets)} files)", [optimise(tweets, p) for p in PROFILES],
                    PUBLISHED_TWEETS)
    everything = list(scored.values())
    results = [optimise(everything, p) for p in PROFILES]
    print_table(f"all files ({len(everything)})", results, PUBLISHED_ALL)
    if args.per_file:
        print("\nper file, standard profile at the corpus threshold "
              "(raw score, flagged rows in/out of windows):")
        for name, file_score in zip(scored, results[0].files, strict=True):
            print(f"  {name:<62} {file_score.score:7.3f}  tp={file_score.tp} fp={file_score.fp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
