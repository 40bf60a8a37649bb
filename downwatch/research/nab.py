"""NAB-style scores of ``downwatch score`` (the live detector over one series) on labelled series.

Two corpora: the Numenta Anomaly Benchmark files when a NAB folder is available (``nab_directory``:
``$NAB_DIR``, else ``../shared/data/nab`` next to the repository), and synthetic report-volume series
with their known outages as windows otherwise. ``nab_table`` scores either one with NAB's own method
(``detector.nab``: one threshold per profile over the corpus, normalised to null 0, perfect 100).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from detector.nab import PROFILES, label_file, optimise
from detector.stream import score_series
from detector.synthetic import SyntheticHistory
from downwatch.errors import InputError
from downwatch.runtime.commands.score import read_series

REPO_ROOT = Path(__file__).resolve().parents[2]
NAB_TABLE_COLUMNS = ("profile", "score", "threshold", "files", "rows", "windows")


@dataclass(frozen=True, slots=True)
class LabelledSeries:
    """One series with its labelled anomaly windows (inclusive start and end timestamps)."""

    name: str
    timestamps: list[datetime]
    epochs: list[float]
    """Seconds since the epoch of each row (naive timestamps are UTC), as ``downwatch score`` reads them."""
    values: list[float]
    windows: list[tuple[datetime, datetime]]


def nab_directory() -> Path | None:
    """``$NAB_DIR`` when set (it must exist), else ``../shared/data/nab`` beside the repo when present."""
    configured = os.environ.get("NAB_DIR")
    if configured:
        path = Path(configured).expanduser()
        if not (path / "labels" / "combined_windows.json").is_file():
            raise InputError(f"NAB_DIR={configured} is not a NAB folder (no labels/combined_windows.json)")
        return path
    default = REPO_ROOT.parent / "shared" / "data" / "nab"
    return default if (default / "labels" / "combined_windows.json").is_file() else None


def read_nab_corpus(directory: Path, *, files: int | None = None, category: str | None = None,
                    max_rows: int | None = None, with_windows_only: bool = False) -> list[LabelledSeries]:
    """The labelled files of a NAB folder, in name order (``files``: only the first N; ``category``:
    e.g. ``realTweets``; ``max_rows``: only files that short; ``with_windows_only``: skip files without
    anomaly windows — the last three are for quick runs)."""
    windows_path = directory / "labels" / "combined_windows.json"
    try:
        labels: dict[str, list[list[str]]] = json.loads(windows_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{windows_path}: cannot be read as NAB labels ({exc})") from None
    corpus = []
    for relative in sorted(labels):
        path = directory / "data" / relative
        if not path.is_file() or (category and not relative.startswith(f"{category}/")):
            continue
        if with_windows_only and not labels[relative]:
            continue
        rows = read_series(str(path))
        if max_rows is not None and len(rows) > max_rows:
            continue
        corpus.append(LabelledSeries(
            name=relative, timestamps=[datetime.fromisoformat(r.timestamp_text) for r in rows],
            epochs=[r.epoch_seconds for r in rows], values=[r.value for r in rows],
            windows=[(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in labels[relative]]))
        if files is not None and len(corpus) >= files:
            break
    if not corpus:
        raise InputError(f"{directory}: no labelled data files found")
    return corpus


def synthetic_corpus(history: SyntheticHistory, grace_buckets: int = 30) -> list[LabelledSeries]:
    """Each synthetic service's reports + posts per bucket, its outages (plus ``grace``) as windows."""
    stamps = [datetime.fromtimestamp(int(b), tz=UTC) for b in history.buckets]
    epochs = [float(b) for b in history.buckets]
    volume = history.reports + history.posts
    last = len(stamps) - 1
    corpus = []
    for s, name in enumerate(history.names):
        windows = [(stamps[o.onset], stamps[min(o.onset + o.duration + grace_buckets, last)])
                   for o in history.outages if o.service == s]
        corpus.append(LabelledSeries(name=name, timestamps=stamps, epochs=epochs,
                                     values=volume[:, s].tolist(), windows=windows))
    return corpus


def nab_table(corpus: list[LabelledSeries]) -> pd.DataFrame:
    """Normalised NAB score per profile (standard, reward low FP, reward low FN) over the corpus."""
    scored = []
    for series in corpus:
        scores = score_series(series.epochs, series.values)
        scored.append((label_file(series.timestamps, series.windows), scores))
    rows = []
    for profile in PROFILES:
        result = optimise(scored, profile)
        rows.append({"profile": profile.name, "score": result.normalized, "threshold": result.threshold,
                     "files": len(corpus), "rows": sum(len(s.values) for s in corpus),
                     "windows": result.n_windows})
    return pd.DataFrame(rows, columns=list(NAB_TABLE_COLUMNS))
