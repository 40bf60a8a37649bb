"""The trained classifier: is the post a report, and of which problem, with calibrated confidence.

Two linear models over hashed features (see ``features``): a logistic ``is_report`` score made into
a probability by Platt scaling fitted on cross-validated scores, and a multinomial logistic
``problem`` model trained on reports only. Stored as sparse coefficients plus JSON metadata in one
``.npz`` file (``ingest/data/model.npz``), so loading is a few array reads, not unpickling.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp

from ingest.text.features import FEATURE_BITS, Featurizer
from ingest.text.resources import data_file

MODEL_NAME = "model.npz"
# A second problem counts when the problem model gives it at least this probability.
MIX_FLOOR = 0.2


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-values)))


@dataclass(frozen=True)
class TextModel:
    report_weights: np.ndarray       # (n_features,)
    report_bias: float
    platt_scale: float
    platt_shift: float
    problem_weights: np.ndarray      # (n_features, n_problems)
    problem_bias: np.ndarray         # (n_problems,)
    problems: tuple[str, ...]
    metadata: dict[str, Any]

    def featurizer(self) -> Featurizer:
        return Featurizer(int(self.metadata.get("feature_bits", FEATURE_BITS)))

    def report_probability(self, features: sp.csr_matrix) -> np.ndarray:
        scores = features @ self.report_weights + self.report_bias
        return _sigmoid(self.platt_scale * scores + self.platt_shift)

    def problem_of(self, features: sp.csr_matrix) -> list[str]:
        scores = features @ self.problem_weights + self.problem_bias
        return [self.problems[i] for i in np.asarray(scores).argmax(axis=1)]

    def problem_mix(self, features: sp.csr_matrix, floor: float = MIX_FLOOR) -> list[Mapping[str, float]]:
        """Per post, the main problem first and every other with probability >= ``floor``, as weights.

        A post naming two problems ("gmail won't load my emails and now it's logged me out") keeps the
        main one (the argmax, as ``problem_of``) and the rest as weights that sum with it to one. Most
        posts name one: theirs is a shared read-only ``{problem: 1.0}``.
        """
        scores = np.asarray(features @ self.problem_weights + self.problem_bias)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        probabilities = scores / scores.sum(axis=1, keepdims=True)
        main = probabilities.argmax(axis=1)
        kept = probabilities >= floor
        kept[np.arange(len(main)), main] = True
        singles = [MappingProxyType({problem: 1.0}) for problem in self.problems]
        mixes: list[Mapping[str, float]] = [singles[i] for i in main.tolist()]
        for row in np.flatnonzero(kept.sum(axis=1) > 1).tolist():
            chosen = np.flatnonzero(kept[row])
            chosen = chosen[np.argsort(-probabilities[row, chosen], kind="stable")]
            total = float(probabilities[row, chosen].sum())
            mixes[row] = {self.problems[i]: round(float(probabilities[row, i]) / total, 4) for i in chosen}
        return mixes

    def predict(self, masked_texts: Sequence[str],
                featurizer: Featurizer | None = None) -> tuple[np.ndarray, list[str]]:
        """Calibrated P(report) and the most likely problem (the first of ``predict_mix``'s mix), for
        texts already masked."""
        probabilities, mixes = self.predict_mix(masked_texts, featurizer)
        return probabilities, [next(iter(mix)) for mix in mixes]

    def predict_mix(self, masked_texts: Sequence[str], featurizer: Featurizer | None = None
                    ) -> tuple[np.ndarray, list[Mapping[str, float]]]:
        """Calibrated P(report) and the problem mix (``problem_mix``), for texts already masked."""
        if not masked_texts:
            return np.zeros(0), []
        features = (featurizer or self.featurizer()).transform(masked_texts)
        return self.report_probability(features), self.problem_mix(features)

    def save(self, path: Path) -> None:
        report = np.flatnonzero(self.report_weights)
        rows, cols = np.nonzero(self.problem_weights)
        with path.open("wb") as out:
            np.savez_compressed(
                out,
                report_index=report.astype(np.int32),
                report_value=self.report_weights[report].astype(np.float32),
                problem_row=rows.astype(np.int32), problem_col=cols.astype(np.int16),
                problem_value=self.problem_weights[rows, cols].astype(np.float32),
                problem_bias=self.problem_bias.astype(np.float64),
                scalars=np.array([self.report_bias, self.platt_scale, self.platt_shift]),
                metadata=np.frombuffer(json.dumps(
                    {**self.metadata, "problems": list(self.problems)}, sort_keys=True).encode(),
                    dtype=np.uint8),
            )

    @classmethod
    def load(cls, path: Path | None = None) -> TextModel:
        source = path or Path(str(data_file(MODEL_NAME)))
        with np.load(source) as stored:
            metadata = json.loads(stored["metadata"].tobytes().decode())
            n_features = 2 ** int(metadata["feature_bits"])
            problems = tuple(metadata.pop("problems"))
            report = np.zeros(n_features, dtype=np.float32)
            report[stored["report_index"]] = stored["report_value"]
            problem = np.zeros((n_features, len(problems)), dtype=np.float32)
            problem[stored["problem_row"], stored["problem_col"]] = stored["problem_value"]
            bias, scale, shift = (float(v) for v in stored["scalars"])
            return cls(report, bias, scale, shift, problem, stored["problem_bias"].copy(), problems, metadata)
