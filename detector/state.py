"""The detector's memory for many services, as arrays with the service as the last axis.

One service's slice serialises to a few hundred bytes (``to_bytes``/``from_bytes``) so a live
process can persist it between restarts. Times are epoch seconds (UTC); NaN means "none".

Every field is a view of one float64 block, ``rows`` (one row per number a service keeps, in field
order), so the engine can gather, update and scatter several fields of a few services in one
operation. The fields cannot be rebound (the dataclass is frozen); write into them in place.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np

from detector.codes import UNKNOWN
from detector.settings import DetectorSettings
from downwatch.errors import InputError

HOURS, WEEKDAYS = 24, 7
BURST_LEVELS = 12
"""Sizes of rise whose up-crossings a service counts (``detector.bursts``)."""
FORMAT_VERSION = 4
"""2: ``excess`` (the windowed count above expected) and the burst counts added; 3: ``excess_since``
added (a version-2 state loads with it unknown); 4: ``reporter_excess`` added (an older state loads with
it 0: no crowd above expected yet)."""
OLDEST_VERSION = 2
APPENDED_ROWS = (("excess_since", 3, math.nan), ("reporter_excess", 4, 0.0))
"""The rows appended since the oldest version: name, the version that added it, and the value a state
saved before that loads it with."""
_HEADER = struct.Struct("<4sHH")
_MAGIC = b"DWDS"


@dataclass(frozen=True, slots=True)
class DetectorState:
    """Per-service memory. ``level * hod[hour] * dow[weekday]`` (profiles normalised to mean 1 by their
    running sums ``hod_sum``/``dow_sum``) is the expected count of a bucket."""

    level: np.ndarray
    hod: np.ndarray
    dow: np.ndarray
    hod_sum: np.ndarray
    dow_sum: np.ndarray
    disp_num: np.ndarray
    disp_den: np.ndarray
    post_share: np.ndarray
    seen: np.ndarray
    cusum: np.ndarray
    run_start: np.ndarray
    run_obs: np.ndarray
    run_exp: np.ndarray
    run_reporters: np.ndarray
    excess: np.ndarray
    """Reports + posts above expected over the last ``excess_window_seconds`` (exponentially weighted)."""
    bursts: np.ndarray
    """Decayed up-crossings of each burst size (``detector.bursts``), as of ``burst_at``."""
    burst_at: np.ndarray
    burst_ratio: np.ndarray
    """This bucket's windowed ratio, 0 unless incident-sized ..."""
    burst_prev: np.ndarray
    """... and the previous bucket's."""
    fast_obs: np.ndarray
    fast_exp: np.ndarray
    alarm: np.ndarray
    down_run: np.ndarray
    release_run: np.ndarray
    calm_run: np.ndarray
    calm_start: np.ndarray
    alarm_age: np.ndarray
    probe_run: np.ndarray
    status: np.ndarray
    since: np.ndarray
    onset: np.ndarray
    detected: np.ndarray
    peak_count: np.ndarray
    peak_at: np.ndarray
    severity: np.ndarray
    last_bucket: np.ndarray
    excess_since: np.ndarray
    """The bucket from which the windowed excess has been above 0 without a break (NaN: it is not): where
    the rise an alarm opens on began."""
    reporter_excess: np.ndarray
    """Distinct reporters above expected over the last ``excess_window_seconds``, weighted as ``excess``:
    the crowd behind the windowed excess."""
    rows: np.ndarray = field(init=False, repr=False, compare=False)
    """All of the above as one (``STATE_ROWS``, n) block; the fields are views of it."""

    def __post_init__(self) -> None:
        n = np.shape(self.level)[-1]
        rows = np.empty((STATE_ROWS, n))
        for name, (start, stop) in ROW_SPANS.items():
            view = rows[start] if stop - start == 1 else rows[start:stop]
            given = np.asarray(getattr(self, name), dtype=float)
            if given.shape != view.shape:
                raise ValueError(f"detector state field {name} has shape {given.shape}, "
                                 f"expected {view.shape}")
            view[...] = given
            object.__setattr__(self, name, view)
        object.__setattr__(self, "rows", rows)

    @classmethod
    def new(cls, n: int, settings: DetectorSettings,
            prior_per_day: np.ndarray | None = None) -> DetectorState:
        """Fresh state for ``n`` services; ``prior_per_day`` (one per service) replaces the default prior."""
        prior = np.full(n, settings.prior_per_day) if prior_per_day is None else np.asarray(
            prior_per_day, dtype=float)
        if prior.shape != (n,) or not np.all(np.isfinite(prior)) or np.any(prior <= 0):
            raise InputError("prior_per_day must be one positive number per service")
        nan = np.full(n, np.nan)
        zeros = np.zeros(n)
        values: dict[str, np.ndarray] = {name: zeros for name in ROW_SPANS}
        values.update(
            level=prior / settings.buckets_per_day,
            hod=np.ones((HOURS, n)), dow=np.ones((WEEKDAYS, n)), bursts=np.zeros((BURST_LEVELS, n)),
            hod_sum=np.full(n, float(HOURS)), dow_sum=np.full(n, float(WEEKDAYS)),
            post_share=np.full(n, settings.post_share),
            run_start=nan.copy(), calm_start=nan.copy(), since=nan.copy(), onset=nan.copy(),
            detected=nan.copy(), peak_at=nan.copy(), last_bucket=nan.copy(), excess_since=nan.copy(),
            status=np.full(n, float(UNKNOWN)),
        )
        return cls(**values)

    @property
    def size(self) -> int:
        return int(self.level.shape[-1])

    def to_bytes(self, i: int) -> bytes:
        """Service ``i``'s memory as bytes (float64, exact round trip)."""
        return _HEADER.pack(_MAGIC, FORMAT_VERSION, 0) + self.rows[:, i].astype("<f8").tobytes()

    def load_bytes(self, i: int, blob: bytes) -> None:
        """Overwrite service ``i``'s memory with what ``to_bytes`` gave."""
        if len(blob) < _HEADER.size:
            raise InputError("detector state is truncated")
        magic, version, _ = _HEADER.unpack_from(blob)
        if magic != _MAGIC or not OLDEST_VERSION <= version <= FORMAT_VERSION:
            raise InputError(f"detector state has an unknown format (version {version})")
        values = np.frombuffer(blob, dtype="<f8", offset=_HEADER.size)
        missing = [value for _, added, value in APPENDED_ROWS if added > version]
        if missing and values.size == STATE_ROWS - len(missing):
            values = np.append(values, missing)
        if values.size != STATE_ROWS:
            raise InputError(f"detector state holds {values.size} numbers, expected {STATE_ROWS}")
        self.rows[:, i] = values

    def take(self, index: np.ndarray) -> DetectorState:
        """A copy holding only the services at ``index`` (in that order)."""
        return DetectorState(**{name: getattr(self, name)[..., index] for name in ROW_SPANS})


def _row_spans() -> dict[str, tuple[int, int]]:
    """Each field's rows in the block, in field order (the order ``to_bytes`` writes)."""
    widths = {"hod": HOURS, "dow": WEEKDAYS, "bursts": BURST_LEVELS}
    spans: dict[str, tuple[int, int]] = {}
    start = 0
    for f in fields(DetectorState):
        if f.init:
            spans[f.name] = (start, start + widths.get(f.name, 1))
            start += widths.get(f.name, 1)
    return spans


ROW_SPANS: Mapping[str, tuple[int, int]] = MappingProxyType(_row_spans())
ROW: Mapping[str, int] = MappingProxyType({name: start for name, (start, _) in ROW_SPANS.items()})
"""The first row of each field in ``DetectorState.rows``."""
STATE_ROWS = max(stop for _, stop in ROW_SPANS.values())

LEVEL, HOD, DOW, HOD_SUM, DOW_SUM = ROW["level"], ROW["hod"], ROW["dow"], ROW["hod_sum"], ROW["dow_sum"]
DISP_NUM, DISP_DEN, POST_SHARE, SEEN = ROW["disp_num"], ROW["disp_den"], ROW["post_share"], ROW["seen"]
CUSUM, RUN_START, RUN_OBS, RUN_EXP = ROW["cusum"], ROW["run_start"], ROW["run_obs"], ROW["run_exp"]
RUN_REPORTERS, FAST_OBS, FAST_EXP = ROW["run_reporters"], ROW["fast_obs"], ROW["fast_exp"]
EXCESS, BURSTS, BURST_AT = ROW["excess"], ROW["bursts"], ROW["burst_at"]
BURST_RATIO, BURST_PREV = ROW["burst_ratio"], ROW["burst_prev"]
ALARM, DOWN_RUN, RELEASE_RUN, CALM_RUN = ROW["alarm"], ROW["down_run"], ROW["release_run"], ROW["calm_run"]
CALM_START, ALARM_AGE = ROW["calm_start"], ROW["alarm_age"]
PROBE_RUN, STATUS = ROW["probe_run"], ROW["status"]
SINCE, ONSET, DETECTED, PEAK_COUNT = ROW["since"], ROW["onset"], ROW["detected"], ROW["peak_count"]
PEAK_AT, SEVERITY, LAST_BUCKET = ROW["peak_at"], ROW["severity"], ROW["last_bucket"]
EXCESS_SINCE, REPORTER_EXCESS = ROW["excess_since"], ROW["reporter_excess"]
"""The row of each one-row field (and the first row of ``hod``/``dow``), for the compiled loops."""
