"""How sure a shown status is, in [0, 1]: evidence strength, history length, official agreement.

strength = min(1, max(surprise / surprise at ``score_down``, CUSUM / ``cusum_down``)), the surprise being
-log10 of the bucket's tail probability. An alarm is 0.5 + 0.5 strength sure, closer to 1 when the
status page shows anything but operational (its doubt, 1 - confidence, times 0.3) or probes fail
(times 0.5); ``up`` is 1 - 0.5 strength sure. Both are discounted by up to 15% while the history is
shorter than ``full_confidence_days``; ``unknown`` has confidence 0.
"""

from __future__ import annotations

import numpy as np

from detector.codes import OFFICIAL_MINOR, UNKNOWN, UP
from detector.limits import Limits
from detector.scoring import log_surprise
from detector.state import DetectorState


def confidence(limits: Limits, state: DetectorState, p: np.ndarray, status: np.ndarray,
               official: np.ndarray | None) -> np.ndarray:
    """Per service, after the step: ``p`` the bucket's tail probability, ``status`` the shown status."""
    strength = np.maximum(log_surprise(p) / limits.down_surprise, state.cusum / limits.cusum_down)
    strength = np.minimum(strength, 1.0)
    alarm_conf = 0.5 + 0.5 * strength
    if official is not None:
        alarm_conf = np.where(official >= OFFICIAL_MINOR, 1.0 - 0.3 * (1.0 - alarm_conf), alarm_conf)
    alarm_conf = np.where(state.probe_run > 0, 1.0 - 0.5 * (1.0 - alarm_conf), alarm_conf)
    shown = np.where(status > UP, alarm_conf, 1.0 - 0.5 * strength)
    history = 0.85 + 0.15 * np.minimum(state.seen / limits.full_confidence_buckets, 1.0)
    return np.where(status == UNKNOWN, 0.0, shown * history)
