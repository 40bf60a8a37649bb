"""The service's own burstiness: how often its rises reached each size, so a rise it has often is normal.

Real public volume (posts about a brand, a sport, a company in the news) jumps several-fold every few
days without anything being down. The detector keeps, per service, how often the windowed ratio
R = 1 + D / (mu * window) (``D`` the windowed excess of ``detector.machine``: observed over the last
15 minutes against expected) rose through each of the sizes ``LEVELS`` (sqrt 2 apart, 1.41x to 64x)
while the rise was also large in absolute terms (D >= ``incident_excess``) and carried by its reporters
(a few clients' flood is not the public's burstiness, and must not raise the bar for a later outage):
a count of up-crossings per level, decaying with half-life ``burst_memory_days`` (kept lazily: decayed
when read or added to).
Only rises outside an alarm are counted, so an event counts once, up to the bucket that opens its alarm.

A size that such rises reached at least ``burst_normal_per_month`` times a month (decayed count >= that
rate times the memory) is the service's normal burstiness: an alarm then needs R to reach the next size
above the largest normal one (``ceiling``). One outage is one up-crossing per level, so it alone never
makes its size normal; a service with news spikes several times a week learns that fivefold spikes are
its normal. Nothing here applies to a service whose rises never reached incident size.
"""

from __future__ import annotations

import math

import numpy as np

from detector.jit import compiled
from detector.limits import Limits
from detector.state import BURST_AT, BURST_LEVELS, BURST_PREV, BURST_RATIO, BURSTS

LEVELS = np.array([2.0 ** (0.5 * (j + 1)) for j in range(BURST_LEVELS)])
"""The sizes (ratios to expected over the window) whose up-crossings are counted."""


@compiled
def windowed_ratio(excess: float, expected: float, limits: Limits) -> float:
    """R = 1 + D / (mu * window): the last ``excess_window_seconds`` against their expectation (0 when
    nothing is expected)."""
    window_expected = expected * limits.excess_window_buckets
    return 1.0 + excess / window_expected if window_expected > 0.0 else 0.0


@compiled
def record(rows: np.ndarray, i: int, bucket: float, excess: float, expected: float, count: bool,
           limits: Limits) -> None:
    """Note this bucket's windowed ratio (0 when the rise is not incident-sized) and, when ``count`` (no
    alarm was open, so an event counts its rise up to the alarm once, not its ups and downs while it
    lasts; and its reporters carried the bucket's rise), count the sizes it rose through since the last
    bucket."""
    ratio = windowed_ratio(excess, expected, limits)
    if excess < limits.incident_excess:
        ratio = 0.0
    previous = rows[BURST_RATIO, i]
    rows[BURST_PREV, i] = previous
    rows[BURST_RATIO, i] = ratio
    if not count or ratio <= previous or ratio < LEVELS[0]:
        return
    decay = math.exp(-limits.burst_decay_per_second * (bucket - rows[BURST_AT, i]))
    for j in range(BURST_LEVELS):
        crossed = previous < LEVELS[j] <= ratio
        rows[BURSTS + j, i] = rows[BURSTS + j, i] * decay + (1.0 if crossed else 0.0)
    rows[BURST_AT, i] = bucket


@compiled
def ceiling(rows: np.ndarray, i: int, bucket: float, limits: Limits) -> float:
    """The windowed ratio a rise must reach to be an incident: the size above the largest one this
    service's rises reached ``burst_normal_per_month`` times a month (not counting this bucket's own
    up-crossings); 0 when no size is normal."""
    decay = math.exp(-limits.burst_decay_per_second * (bucket - rows[BURST_AT, i]))
    previous, ratio = rows[BURST_PREV, i], rows[BURST_RATIO, i]
    own_at = bucket == rows[BURST_AT, i]
    needed = 0.0
    for j in range(BURST_LEVELS):
        own = 1.0 if (own_at and previous < LEVELS[j] <= ratio) else 0.0
        if rows[BURSTS + j, i] * decay - own >= limits.burst_normal_count:
            needed = LEVELS[j + 1] if j + 1 < BURST_LEVELS else math.inf
    return needed

