"""The Numenta Anomaly Benchmark (NAB) scoring method, re-implemented exactly.

Follows NAB's sweep scorer (``nab/sweeper.py``, ``scorer.py``, ``optimizer.py`` at commit ea702d75):

* windows are located by timestamp equality, using the first row with that timestamp;
* the first ``min(floor(0.15 N), 750)`` rows of a file are probationary: never scored or counted;
* a row flagged inside a window earns ``A_TP * S(y) / S(-1)`` with ``y = -(R - i + 1) / W``; only the
  best (earliest) flagged row of a window counts, and a window with no flag costs ``-A_FN``;
* a flag outside every window costs ``A_FP * S((i - R_prev) / (W_prev - 1))`` after a window, else
  ``-A_FP``, where ``S(y) = 2 / (1 + e^{5y}) - 1`` for ``y <= 3`` and ``-1`` beyond;
* one threshold per detector and profile, chosen by an exact sweep over every distinct score
  (plus 1.1, "flag nothing"), ties going to the highest threshold;
* normalisation: the null detector scores 0, the perfect detector 100.

Pure: plain data in, numbers out. The sweep sorts all scores once and uses cumulative sums.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PROBATION_FRACTION = 0.15
PROBATION_MAX_ROWS = 750
FLAG_NOTHING_THRESHOLD = 1.1


@dataclass(frozen=True, slots=True)
class Profile:
    """The cost weights of one NAB application profile (``config/profiles.json``)."""

    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


STANDARD = Profile("standard", tp_weight=1.0, fp_weight=0.11, fn_weight=1.0)
REWARD_LOW_FP = Profile("reward_low_FP_rate", tp_weight=1.0, fp_weight=0.22, fn_weight=1.0)
REWARD_LOW_FN = Profile("reward_low_FN_rate", tp_weight=1.0, fp_weight=0.11, fn_weight=2.0)
PROFILES: tuple[Profile, ...] = (STANDARD, REWARD_LOW_FP, REWARD_LOW_FN)


def scaled_sigmoid(y: float | FloatArray) -> FloatArray:
    """NAB's S(y): 2/(1+e^{5y}) - 1 for y <= 3, exactly -1 beyond."""
    y_arr = np.asarray(y, dtype=np.float64)
    with np.errstate(over="ignore"):
        value = 2.0 / (1.0 + np.exp(5.0 * y_arr)) - 1.0
    return np.where(y_arr > 3.0, -1.0, value)


S_MINUS_ONE = float(scaled_sigmoid(-1.0))


def probationary_rows(n_rows: int) -> int:
    """Rows at the start of a file that NAB neither rewards nor penalises."""
    return min(math.floor(PROBATION_FRACTION * n_rows), PROBATION_MAX_ROWS)


@dataclass(frozen=True, slots=True)
class LabelledFile:
    """One file's geometry, independent of the detector and the profile.

    ``window_of_row`` is the scored window index of each scored row (-1 outside every window);
    ``tp_unit`` is ``S(y)/S(-1)`` for rows in a window and ``fp_unit`` is ``S(y)`` (or -1) for rows
    outside, so that a row's sweep score is ``A_TP * tp_unit`` or ``A_FP * fp_unit``.
    Every array covers the scored rows only (row index >= ``probation``).
    """

    n_rows: int
    probation: int
    n_windows: int
    window_of_row: IntArray
    tp_unit: FloatArray
    fp_unit: FloatArray


def label_file(timestamps: Sequence[Hashable], windows: Sequence[tuple[Hashable, Hashable]]) -> LabelledFile:
    """Place the windows (inclusive ``(start, end)`` timestamps) on the rows of one file.

    Timestamps are compared by equality (any hashable: strings, datetimes); the first row with a
    window's start or end timestamp marks it. Raises ``ValueError`` when a window end is not a row.
    """
    n_rows = len(timestamps)
    first_row: dict[Hashable, int] = {}
    for index, stamp in enumerate(timestamps):
        first_row.setdefault(stamp, index)
    bounds: list[tuple[int, int]] = []
    for start, end in windows:
        if start not in first_row or end not in first_row:
            missing = start if start not in first_row else end
            raise ValueError(f"window boundary {missing!r} is not a timestamp of the file")
        bounds.append((first_row[start], first_row[end]))
    bounds.sort()

    probation = probationary_rows(n_rows)
    rows = np.arange(n_rows, dtype=np.int64)
    window_of_row = np.full(n_rows, -1, dtype=np.int64)
    tp_unit = np.zeros(n_rows)
    fp_unit = np.full(n_rows, -1.0)
    scored_windows = 0
    for left, right in bounds:
        width = right - left + 1
        inside = rows[left:right + 1]
        if right >= probation:
            window_of_row[left:right + 1] = scored_windows
            scored_windows += 1
        tp_unit[left:right + 1] = scaled_sigmoid(-(right - inside + 1) / width) / S_MINUS_ONE
        after = rows[right + 1:]
        fp_unit[right + 1:] = scaled_sigmoid((after - right) / (width - 1)) if width > 1 else -1.0
    keep = slice(probation, n_rows)
    return LabelledFile(
        n_rows=n_rows, probation=probation, n_windows=scored_windows,
        window_of_row=window_of_row[keep], tp_unit=tp_unit[keep], fp_unit=fp_unit[keep])


@dataclass(frozen=True, slots=True)
class FileScore:
    """One file at one threshold: the raw NAB score and the row counts (scored rows only)."""

    score: float
    tp: int
    tn: int
    fp: int
    fn: int

    @property
    def count(self) -> int:
        return self.tp + self.tn + self.fp + self.fn


def _scored(labelled: LabelledFile, anomaly_scores: Sequence[float] | FloatArray) -> FloatArray:
    scores = np.asarray(anomaly_scores, dtype=np.float64)
    if scores.shape != (labelled.n_rows,):
        raise ValueError(f"expected {labelled.n_rows} anomaly scores, got {scores.shape[0]}")
    return scores[labelled.probation:]


def score_file(labelled: LabelledFile, anomaly_scores: Sequence[float] | FloatArray, profile: Profile,
               threshold: float) -> FileScore:
    """NAB's score of one file when rows with ``anomaly_score >= threshold`` are flagged."""
    flagged = _scored(labelled, anomaly_scores) >= threshold
    in_window = labelled.window_of_row >= 0
    total = float(np.sum(profile.fp_weight * labelled.fp_unit[flagged & ~in_window]))
    for window in range(labelled.n_windows):
        hits = flagged & (labelled.window_of_row == window)
        if hits.any():
            total += profile.tp_weight * float(labelled.tp_unit[hits].max())
        else:
            total -= profile.fn_weight
    return FileScore(
        score=total,
        tp=int(np.sum(flagged & in_window)), tn=int(np.sum(~flagged & ~in_window)),
        fp=int(np.sum(flagged & ~in_window)), fn=int(np.sum(~flagged & in_window)))


@dataclass(frozen=True, slots=True)
class CorpusResult:
    """The optimised outcome for one profile over a set of files."""

    profile: Profile
    threshold: float
    raw: float
    normalized: float
    n_windows: int
    files: tuple[FileScore, ...]


def _row_gains(labelled: LabelledFile, scores: FloatArray, profile: Profile) -> FloatArray:
    """What each scored row adds to the file's raw score when the threshold drops to its score.

    Rows are visited by descending score; a window's gain is the increase of its running best.
    The gains of the rows with score >= theta sum to ``score_file(theta) + A_FN * n_windows``.
    """
    gains = np.where(labelled.window_of_row < 0, profile.fp_weight * labelled.fp_unit, 0.0)
    for window in range(labelled.n_windows):
        members = np.flatnonzero(labelled.window_of_row == window)
        order = members[np.argsort(-scores[members], kind="stable")]
        best = np.maximum.accumulate(profile.tp_weight * labelled.tp_unit[order])
        gains[order] = np.diff(best, prepend=-profile.fn_weight)
    return gains


def sweep(files: Sequence[tuple[LabelledFile, Sequence[float] | FloatArray]],
          profile: Profile) -> tuple[FloatArray, FloatArray]:
    """Every candidate threshold (descending, starting with "flag nothing") and the corpus raw score there."""
    all_scores: list[FloatArray] = []
    all_gains: list[FloatArray] = []
    n_windows = 0
    for labelled, anomaly_scores in files:
        scores = _scored(labelled, anomaly_scores)
        all_scores.append(scores)
        all_gains.append(_row_gains(labelled, scores, profile))
        n_windows += labelled.n_windows
    scores = np.concatenate(all_scores) if all_scores else np.zeros(0)
    gains = np.concatenate(all_gains) if all_gains else np.zeros(0)
    order = np.argsort(-scores, kind="stable")
    scores, gains = scores[order], gains[order]
    totals = np.cumsum(gains)
    last_of_value = np.flatnonzero(np.diff(scores, append=-np.inf) != 0)
    base = -profile.fn_weight * n_windows
    nothing = max(FLAG_NOTHING_THRESHOLD, float(np.nextafter(scores[0], np.inf)) if scores.size else 0.0)
    thresholds = np.concatenate([[nothing], scores[last_of_value]])
    raws = base + np.concatenate([[0.0], totals[last_of_value]])
    return thresholds, raws


def normalize(raw: float, n_windows: int, profile: Profile) -> float:
    """100 for the perfect detector, 0 for the null detector (flags nothing)."""
    perfect = profile.tp_weight * n_windows
    null = -profile.fn_weight * n_windows
    if perfect == null:
        return 0.0
    return 100.0 * (raw - null) / (perfect - null)


def optimise(files: Sequence[tuple[LabelledFile, Sequence[float] | FloatArray]],
             profile: Profile) -> CorpusResult:
    """NAB's threshold protocol: the threshold that maximises the corpus raw score, highest on ties."""
    thresholds, raws = sweep(files, profile)
    best = int(np.argmax(raws))
    threshold = float(thresholds[best])
    per_file = tuple(score_file(labelled, scores, profile, threshold) for labelled, scores in files)
    n_windows = sum(labelled.n_windows for labelled, _ in files)
    raw = float(raws[best])
    return CorpusResult(profile=profile, threshold=threshold, raw=raw,
                        normalized=normalize(raw, n_windows, profile), n_windows=n_windows, files=per_file)
