"""Train the bundled model from the corpus, reproducibly: same corpus and catalog, same model.

    python -m ingest.text.train [--corpus PATH] [--out PATH]      (or: downwatch train)

Only rows with ``split == "train"`` are used. The model's metadata records the SHA-256 of the corpus
file and of the catalog terms used for masking, so a test can tell whether the bundled model is
the one this corpus produces.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from downwatch.catalog import load_catalog
from downwatch.records import Problem, Service
from ingest.text.features import FEATURE_BITS, Featurizer, masked_text
from ingest.text.matcher import ServiceMatcher
from ingest.text.model import MODEL_NAME, TextModel
from ingest.text.resources import data_file

SEED = 7
REPORT_C = 8.0
PROBLEM_C = 2.0
# Free-form posts (hand-written, written, real) weigh this much more than a generated one in both fits.
FREE_FORM_WEIGHT = 3.0
FREE_FORM_FAMILIES = ("handwritten.", "written.", "real.")
ALSO_WEIGHT = 0.35
CORPUS_NAME = "corpus.jsonl"


def read_corpus(path: Path | None = None) -> list[dict[str, Any]]:
    source = path or Path(str(data_file(CORPUS_NAME)))
    return [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_digest(path: Path | None = None) -> str:
    source = path or Path(str(data_file(CORPUS_NAME)))
    return hashlib.sha256(source.read_bytes()).hexdigest()


def catalog_digest(services: Iterable[Service]) -> str:
    terms = sorted(
        json.dumps([s.slug, s.name, sorted(s.aliases), sorted(s.domains), sorted(s.handles)])
        for s in services)
    return hashlib.sha256("\n".join(terms).encode()).hexdigest()


def mask_all(matcher: ServiceMatcher, texts: Sequence[str]) -> list[str]:
    masked = []
    for text in texts:
        mentions = matcher.find(text)
        failing = matcher.match(text) if mentions else None
        masked.append(masked_text(text, mentions, failing, matcher.rules.context))
    return masked


def _platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    calibrator = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    calibrator.fit(scores.reshape(-1, 1), labels)
    return float(calibrator.coef_[0, 0]), float(calibrator.intercept_[0])


def train(rows: Sequence[dict[str, Any]], services: Sequence[Service],
          metadata: dict[str, Any] | None = None) -> TextModel:
    """Fit both models on the rows of the train split."""
    train_rows = [row for row in rows if row["split"] == "train"]
    matcher = ServiceMatcher(services)
    featurizer = Featurizer(FEATURE_BITS)
    features = featurizer.transform(mask_all(matcher, [row["text"] for row in train_rows]))
    labels = np.array([bool(row["is_report"]) for row in train_rows], dtype=int)
    weights = np.array([FREE_FORM_WEIGHT if str(row.get("family", "")).startswith(FREE_FORM_FAMILIES)
                        else 1.0 for row in train_rows])

    def report_model() -> LogisticRegression:
        return LogisticRegression(C=REPORT_C, solver="liblinear", max_iter=2000, random_state=SEED)

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    held_out_scores = cross_val_predict(report_model(), features, labels, cv=folds,
                                        method="decision_function", params={"sample_weight": weights})
    scale, shift = _platt(np.asarray(held_out_scores), labels)
    report = report_model().fit(features, labels, sample_weight=weights)

    reports = np.flatnonzero(labels)
    problems = tuple(problem.value for problem in Problem)
    # A report naming two problems is a sample of its main problem and, at ALSO_WEIGHT of its weight,
    # of each other one: the problem model then gives the others a share (TextModel.problem_mix).
    also = [(i, other) for i in reports for other in train_rows[i].get("also", ())]
    problem_rows = np.concatenate([reports, np.array([i for i, _ in also], dtype=int)])
    problem_labels = np.array([problems.index(train_rows[i]["problem"]) for i in reports]
                              + [problems.index(other) for _, other in also])
    problem_weights = np.concatenate([weights[reports], ALSO_WEIGHT * weights[[i for i, _ in also]]])
    problem = LogisticRegression(C=PROBLEM_C, solver="lbfgs", max_iter=3000, random_state=SEED)
    problem.fit(features[problem_rows], problem_labels, sample_weight=problem_weights)
    present = [problems[i] for i in problem.classes_]

    return TextModel(
        report_weights=report.coef_[0].astype(np.float32), report_bias=float(report.intercept_[0]),
        platt_scale=scale, platt_shift=shift,
        problem_weights=problem.coef_.T.astype(np.float32), problem_bias=problem.intercept_.copy(),
        problems=tuple(present),
        metadata={**(metadata or {}), "feature_bits": FEATURE_BITS, "seed": SEED,
                  "report_c": REPORT_C, "problem_c": PROBLEM_C,
                  "free_form_weight": FREE_FORM_WEIGHT, "also_weight": ALSO_WEIGHT,
                  "train_rows": len(train_rows),
                  "train_reports": len(reports), "sklearn": sklearn.__version__,
                  "catalog_sha256": catalog_digest(services)},
    )


def train_bundled(corpus: Path | None = None, out: Path | None = None) -> Path:
    """Train from the corpus with the bundled catalog and write the model file."""
    target = out or Path(str(data_file(MODEL_NAME)))
    model = train(read_corpus(corpus), list(load_catalog()),
                  {"corpus_sha256": corpus_digest(corpus)})
    model.save(target)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the text classifier from the labelled corpus.")
    parser.add_argument("--corpus", type=Path, default=None, help="corpus JSONL (default: bundled)")
    parser.add_argument("--out", type=Path, default=None, help="model file (default: bundled model.npz)")
    args = parser.parse_args(argv)
    print(f"wrote {train_bundled(args.corpus, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
