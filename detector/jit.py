"""How the detector's per-service loops are compiled, and numpy's maximum/minimum on two floats.

The loops (``detector.passes`` and the modules it calls) evaluate, service by service, the same IEEE
double operations the vectorised numpy code evaluated, in the same order (numba without fastmath: no
reassociation, no fused multiply-add), with numpy's rules for NaN; division by zero gives inf/NaN as
in numpy (``error_model="numpy"``). Special functions stay in numpy/scipy (``detector.scoring``).
They index the state by the row constants of ``detector.state`` and read their numbers from the
record ``detector.limits.Limits.packed()``.
"""

from __future__ import annotations

from numba import njit

compiled = njit(cache=True, error_model="numpy", nogil=True)
"""A compiled function, cached on disk next to its module. The per-service helpers are compiled
functions too, called from the loops (not inlined into them at numba's IR level, which doubled the
first compilation on a fresh install and, measured with benchmarks/detector_speed.py, made no
bucket faster)."""


@compiled
def maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats: NaN wins, and a tie (0.0 and -0.0) gives the second."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a > b else b


@compiled
def minimum(a: float, b: float) -> float:
    """``np.minimum`` of two floats."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b
