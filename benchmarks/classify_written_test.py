"""Quality of the text pipeline on the project's written TEST posts (``ingest/data/written_test.jsonl``).

    .venv/bin/python benchmarks/classify_written_test.py [--test PATH] [--model PATH] [--errors N]

These posts were written by hand by the project (one engineer, issue 13), in the style of real posts,
and split from the training text (``corpus_written.jsonl``) by a fixed hash rule before any result
was seen (see ``ingest/data/README.md``). They are never used for training or for choosing
anything. They are NOT real posts: the same person wrote the training text, so these figures say
how well the model generalises to new wording by that writer, not how it does on real posts (for
that, see ``classify_real_reddit.py`` and the graders' independent set).

Prints, per language and overall: is-report precision / recall / F1, ordinary posts called reports,
service accuracy on labelled reports (the labelled slug or its catalogue parent, either way),
problem accuracy on reports the pipeline also calls reports, then per-problem accuracy and the
problem confusion matrix, and for posts naming two problems how often the answer is one of them.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from downwatch.catalog import load_catalog
from downwatch.records import Problem
from ingest.text.model import TextModel
from ingest.text.pipeline import Classification, TextPipeline
from ingest.text.resources import data_file

TEST_NAME = "written_test.jsonl"
LANGS = ("en", "fr", "de", "es", "it", "pt", "nl", "pl", "cy")


def read_rows(path: Path | None = None) -> list[dict[str, Any]]:
    source = path or Path(str(data_file(TEST_NAME)))
    return [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]


def figures(rows: Sequence[dict[str, Any]], got: Sequence[Classification],
            parents: dict[str, str | None]) -> dict[str, float | int]:
    pairs = list(zip(rows, got, strict=True))
    tp = sum(1 for r, c in pairs if r["is_report"] and c.is_report)
    fp = sum(1 for r, c in pairs if not r["is_report"] and c.is_report)
    fn = sum(1 for r, c in pairs if r["is_report"] and not c.is_report)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    reports = [(r, c) for r, c in pairs if r["is_report"]]

    def same_service(truth: str, guess: str | None) -> bool:
        return guess is not None and (guess == truth or parents.get(truth) == guess
                                      or parents.get(guess) == truth)

    service_ok = sum(1 for r, c in reports if same_service(r["service"], c.service))
    both = [(r, c) for r, c in reports if c.is_report]
    problem_ok = sum(1 for r, c in both if c.problem == r["problem"])
    return {"posts": len(rows), "reports": len(reports), "precision": precision, "recall": recall,
            "f1": f1, "negatives": len(rows) - len(reports), "false_reports": fp,
            "service_ok": service_ok, "problem_ok": problem_ok, "problem_n": len(both)}


def line(name: str, f: dict[str, float | int]) -> str:
    service = f["service_ok"] / max(1, f["reports"])
    problem = f["problem_ok"] / max(1, f["problem_n"])
    return (f"{name:4s} {f['posts']:4d} posts {f['reports']:4d} reports | is_report P {f['precision']:.3f} "
            f"R {f['recall']:.3f} F1 {f['f1']:.3f} | ordinary called reports "
            f"{f['false_reports']}/{f['negatives']} | service {service:.3f} "
            f"({f['service_ok']}/{f['reports']}) | problem {problem:.3f} "
            f"({f['problem_ok']}/{f['problem_n']})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", type=Path, default=None)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--errors", type=int, default=0, help="print the first N wrong posts")
    args = parser.parse_args()
    rows = read_rows(args.test)
    catalog = list(load_catalog())
    parents = {s.slug: s.parent for s in catalog}
    pipeline = TextPipeline(catalog, TextModel.load(args.model), hash_key="benchmark")
    got = pipeline.classify([r["text"] for r in rows])
    print("written TEST posts (text written by the project, not real posts)")
    for lang in LANGS:
        picked = [(r, c) for r, c in zip(rows, got, strict=True) if r["lang"] == lang]
        if picked:
            print(line(lang, figures([r for r, _ in picked], [c for _, c in picked], parents)))
    print(line("all", figures(rows, got, parents)))
    labels = [p.value for p in Problem]
    counts = Counter((r["problem"], c.problem) for r, c in zip(rows, got, strict=True)
                     if r["is_report"] and c.is_report)
    print("per problem (reports called reports): "
          + ", ".join(f"{p} {counts[(p, p)]}/{sum(counts[(p, q)] for q in labels)}" for p in labels))
    print("problem confusion (rows: truth, columns: predicted)")
    print(" " * 11 + " ".join(f"{label[:6]:>6}" for label in labels))
    for truth in labels:
        print(f"{truth:>10} " + " ".join(f"{counts[(truth, p)]:6d}" for p in labels))
    two = [(r, c) for r, c in zip(rows, got, strict=True) if r.get("also") and c.is_report]
    main_ok = sum(1 for r, c in two if c.problem == r["problem"])
    any_ok = sum(1 for r, c in two if c.problem in (r["problem"], *r["also"]))
    print(f"posts naming two problems, called reports: {len(two)}; main problem {main_ok}, "
          f"main or the other {any_ok}")
    if args.errors:
        wrong = [(r, c) for r, c in zip(rows, got, strict=True)
                 if r["is_report"] != c.is_report or (r["is_report"] and c.problem != r["problem"])]
        for r, c in wrong[:args.errors]:
            print(f"  {r['lang']} truth {r['is_report']!s:5} {r['service']!s:16} {r['problem']!s:10} got "
                  f"{c.is_report!s:5} {c.service!s:16} {c.problem!s:10} {c.confidence:.2f} {r['text'][:80]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
