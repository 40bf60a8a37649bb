"""How often the text pipeline calls real, ordinary Reddit posts outage reports.

    .venv/bin/python benchmarks/classify_real_reddit.py [--posts ../shared/data/reddit/posts.jsonl]
                                                         [--split dev|heldout|both] [--list]

The posts and the two splits are those of ``benchmarks/classify_real_sample.py`` (praw's recorded test
listings, BSD-2-Clause; the same fixed hash rule and strata: posts that name a catalogue service and a
random rest). The labels are its ``REPORTS`` table: a post is a report only when it says the service
is failing for its author now (a retrospective "while reddit was down" is not). The dev split has been
used for training text and for choosing features; the heldout split for nothing but this figure. The
heldout posts hold no report: on 2026-12-04 every heldout post with a failure word (down, error, crash,
login, slow, can't, problem, stuck, fail, ...: 82 of 400) and every post the pipeline called a report
was read; none says a service is failing for its author now.

Prints, per split and stratum, the posts the pipeline calls reports: how many of the ordinary posts
(share, against the issue's <= 1 % target) and how many of the labelled reports (recall).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from classify_real_sample import ROOT, sample

from downwatch.catalog import load_catalog
from ingest.text.pipeline import TextPipeline

BENCHMARK_HASH_KEY = "classify-real-reddit-benchmark-key"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=Path, default=ROOT.parent / "shared/data/reddit/posts.jsonl")
    parser.add_argument("--split", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--list", action="store_true", help="print every post called a report")
    args = parser.parse_args()
    if not args.posts.is_file():
        raise SystemExit(f"classify_real_reddit: {args.posts} not found; pass --posts")
    posts = [json.loads(line) for line in args.posts.read_text(encoding="utf-8").splitlines() if line]
    pipeline = TextPipeline.default(load_catalog(), BENCHMARK_HASH_KEY)
    for split in ("dev", "heldout") if args.split == "both" else (args.split,):
        rows = sample(posts, (split,))
        called = pipeline.classify([row["text"] for row in rows])
        for stratum in ("names_service", "random_rest", "all"):
            picked = [(r, c) for r, c in zip(rows, called, strict=True)
                      if stratum == "all" or r["stratum"] == stratum]
            ordinary = [c for r, c in picked if not r["is_report"]]
            reports = [c for r, c in picked if r["is_report"]]
            false = sum(c.is_report for c in ordinary)
            share = 100.0 * false / len(ordinary) if ordinary else 0.0
            found = sum(c.is_report for c in reports)
            print(f"{split:8s} {stratum:14s} ordinary posts called reports {false}/{len(ordinary)} = "
                  f"{share:.2f}% (target <= 1%); labelled reports found {found}/{len(reports)}")
        if args.list:
            for row, got in zip(rows, called, strict=True):
                if got.is_report:
                    label = "REPORT" if row["is_report"] else "ordinary"
                    print(f"  {row['id']} [{label}] -> {got.service} {got.problem}: {row['text'][:160]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
