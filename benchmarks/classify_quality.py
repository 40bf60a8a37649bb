"""Quality of the text pipeline on the corpus's validation split (never used for training).

    .venv/bin/python benchmarks/classify_quality.py [--corpus PATH] [--model PATH] [--errors N]

Prints is-report precision/recall/F1, service accuracy on reports, problem accuracy on reports that
the model also calls reports, calibration (Brier score and reliability by confidence band), the
problem confusion matrix, and the same figures for the hand-written free-form subset alone.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from downwatch.catalog import load_catalog
from downwatch.records import Problem
from ingest.text.model import TextModel
from ingest.text.pipeline import Classification, TextPipeline
from ingest.text.train import read_corpus


def _f1(rows: Sequence[dict[str, Any]], got: Sequence[Classification]) -> tuple[float, float, float]:
    tp = sum(1 for r, c in zip(rows, got, strict=True) if r["is_report"] and c.is_report)
    fp = sum(1 for r, c in zip(rows, got, strict=True) if not r["is_report"] and c.is_report)
    fn = sum(1 for r, c in zip(rows, got, strict=True) if r["is_report"] and not c.is_report)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def summary(title: str, rows: Sequence[dict[str, Any]], got: Sequence[Classification]) -> None:
    precision, recall, f1 = _f1(rows, got)
    reports = [(r, c) for r, c in zip(rows, got, strict=True) if r["is_report"]]
    service_ok = sum(1 for r, c in reports if c.service == r["service"])
    both = [(r, c) for r, c in reports if c.is_report]
    problem_ok = sum(1 for r, c in both if c.problem == r["problem"])
    print(f"== {title}: {len(rows)} posts, {len(reports)} reports")
    print(f"is_report  precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print(f"service accuracy on reports  {service_ok / max(1, len(reports)):.3f}  "
          f"({service_ok}/{len(reports)})")
    print(f"problem accuracy on reports called reports  {problem_ok / max(1, len(both)):.3f}  "
          f"({problem_ok}/{len(both)})")


def calibration(rows: Sequence[dict[str, Any]], got: Sequence[Classification]) -> None:
    pairs = zip(rows, got, strict=True)
    brier = sum((c.confidence - float(r["is_report"])) ** 2 for r, c in pairs) / len(rows)
    print(f"calibration: Brier score {brier:.4f} (confidence = P(report))")
    bands = [(0.0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)]
    for low, high in bands:
        inside = [(r, c) for r, c in zip(rows, got, strict=True) if low <= c.confidence < high]
        if inside:
            rate = sum(1 for r, _ in inside if r["is_report"]) / len(inside)
            mean = sum(c.confidence for _, c in inside) / len(inside)
            print(f"  confidence {low:.1f}-{min(high, 1.0):.1f}: {len(inside):5d} posts, "
                  f"mean confidence {mean:.2f}, actually reports {rate:.2f}")


def confusion(rows: Sequence[dict[str, Any]], got: Sequence[Classification]) -> None:
    labels = [p.value for p in Problem]
    counts = Counter((r["problem"], c.problem) for r, c in zip(rows, got, strict=True)
                     if r["is_report"] and c.is_report)
    print("problem confusion (rows: truth, columns: predicted)")
    print(" " * 11 + " ".join(f"{label[:6]:>6}" for label in labels))
    for truth in labels:
        print(f"{truth:>10} " + " ".join(f"{counts[(truth, p)]:6d}" for p in labels))


def errors(rows: Sequence[dict[str, Any]], got: Sequence[Classification], limit: int) -> None:
    wrong = [(r, c) for r, c in zip(rows, got, strict=True)
             if r["is_report"] != c.is_report or (r["is_report"] and c.service != r["service"])]
    print(f"first {min(limit, len(wrong))} of {len(wrong)} errors (is_report or service):")
    for r, c in wrong[:limit]:
        print(f"  truth {r['is_report']!s:5} {r['service']!s:18} got {c.is_report!s:5} {c.service!s:18} "
              f"{c.confidence:.2f}  {r['text'][:90]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--errors", type=int, default=15)
    args = parser.parse_args()
    rows = [r for r in read_corpus(args.corpus) if r["split"] == "validation"]
    pipeline = TextPipeline(load_catalog(), TextModel.load(args.model), hash_key="benchmark")
    got = pipeline.classify([r["text"] for r in rows])
    summary("validation split", rows, got)
    calibration(rows, got)
    confusion(rows, got)
    for subset in ("handwritten", "foreign"):
        pairs = [(r, c) for r, c in zip(rows, got, strict=True)
                 if (r["family"].startswith("handwritten") if subset == "handwritten" else r["lang"] != "en")]
        summary(f"{subset} subset", [r for r, _ in pairs], [c for _, c in pairs])
    kinds = Counter(r["family"].split(".")[0] + "." + r["family"].split(".")[1]
                    for r, c in zip(rows, got, strict=True)
                    if not r["is_report"] and c.is_report and not r["family"].startswith("handwritten"))
    print("false reports by negative family group:", dict(kinds.most_common()))
    errors(rows, got, args.errors)


if __name__ == "__main__":
    main()
