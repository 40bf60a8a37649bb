"""``detector.replay`` with a progress bar: the same code path, bucket by bucket, watched by tqdm."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm.std import tqdm

from detector.frame import ReplayInput, check_counts, to_arrays
from detector.inputs import BucketArrays
from detector.replay import ReplayResult, replay_arrays
from detector.settings import DetectorSettings, detector_settings

PROGRESS_MIN_CELLS = 2_000_000
"""With ``progress=None``, a bar is shown when buckets x services reaches this (a replay of seconds)."""


@dataclass(slots=True)
class _WatchedInput(ReplayInput):
    """A history that advances a progress bar each time the replay reads a bucket."""

    bar: Any = None

    def at(self, t: int) -> BucketArrays:
        if self.bar is not None:
            self.bar.update(1)
        return ReplayInput.at(self, t)


def replay(counts: pd.DataFrame, *, progress: bool | None = None, priors: Mapping[str, float] | None = None,
           stale_after_buckets: int | None = None, keep_timeline: bool = True,
           **settings: Any) -> ReplayResult:
    """Verdict timeline and incidents for a counts table, exactly as ``detector.replay.replay`` gives them.

    ``progress``: ``True`` always shows a bar, ``False`` never, ``None`` (default) on long replays.
    ``settings``: any ``detector.settings.DetectorSettings`` field (``cusum_degraded=8``, ...).
    """
    chosen = detector_settings(**settings)
    checked = check_counts(counts, chosen.bucket_seconds)
    history = to_arrays(checked, chosen.bucket_seconds, stale_after_buckets)
    return replay_prepared(history, chosen, progress=progress, priors=priors, keep_timeline=keep_timeline)


def replay_prepared(history: ReplayInput, settings: DetectorSettings, *, progress: bool | None = None,
                    priors: Mapping[str, float] | None = None, keep_timeline: bool = True) -> ReplayResult:
    """``detector.replay.replay_arrays`` on a history already in arrays, with the progress bar."""
    steps = len(history.buckets)
    show = progress if progress is not None else steps * len(history.services) >= PROGRESS_MIN_CELLS
    if not show:
        return replay_arrays(history, settings, priors=priors, keep_timeline=keep_timeline)
    fields = {name: getattr(history, name) for name in ReplayInput.__dataclass_fields__}
    with tqdm(total=steps, desc=f"replay {len(history.services)} services", unit="bucket",
              mininterval=0.5, miniters=max(1, steps // 200)) as bar:
        watched = _WatchedInput(**fields, bar=bar)
        return replay_arrays(watched, settings, priors=priors, keep_timeline=keep_timeline)
