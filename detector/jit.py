"""What the compiled per-service loops share: the decorators, numpy's maximum/minimum on two floats,
the rows of ``DetectorState.rows`` they index, and the order of the numbers in ``Engine.limits``.

The loops (``detector.passes``, ``baseline``, ``machine``) evaluate, service by service, the same IEEE
double operations the vectorised numpy code evaluated, in the same order (numba without fastmath: no
reassociation, no fused multiply-add), with numpy's rules for NaN; division by zero gives inf/NaN as
in numpy (``error_model="numpy"``). Special functions stay in numpy/scipy (``detector.scoring``).
"""

from __future__ import annotations

from numba import njit

from detector.state import ROW

compiled = njit(cache=True, error_model="numpy", nogil=True)
"""A compiled function (cached on disk next to its module)."""
inlined = njit(cache=True, error_model="numpy", nogil=True, inline="always")
"""A compiled function inlined into its callers (the per-service helpers of a loop)."""

LIMITS = ("score_degraded", "score_down", "cusum_degraded", "cusum_down", "min_reporter_share",
          "min_volume_degraded", "min_reporters_degraded", "min_ratio_degraded", "min_volume_down",
          "min_reporters_down", "min_ratio_down", "recover_ratio", "recover_score", "down_confirm_buckets",
          "down_release_buckets", "recover_buckets", "learn_below_score", "probe_failing_share",
          "probe_confirm_buckets", "official_degraded_level", "max_dispersion", "cusum_ratio",
          "cusum_min_shift", "fast_rate", "warmup_buckets", "young_buckets", "relearn_buckets",
          "half_cusum_degraded", "rate_level", "rate_hod", "rate_dow", "rate_dispersion", "prior_buckets",
          "hod_prior_buckets", "dow_prior_buckets", "hod_after_buckets", "dow_after_buckets",
          "recover_margin_sd", "young_profile_dispersion", "run_significance_z")
"""The numbers the loops read, in the order of the ``limits`` array ``Engine`` builds."""
(SCORE_DEGRADED, SCORE_DOWN, CUSUM_DEGRADED, CUSUM_DOWN, MIN_REPORTER_SHARE, MIN_VOLUME_DEGRADED,
 MIN_REPORTERS_DEGRADED, MIN_RATIO_DEGRADED, MIN_VOLUME_DOWN, MIN_REPORTERS_DOWN, MIN_RATIO_DOWN,
 RECOVER_RATIO, RECOVER_SCORE, DOWN_CONFIRM, DOWN_RELEASE, RECOVER_BUCKETS, LEARN_BELOW_SCORE,
 PROBE_FAILING_SHARE, PROBE_CONFIRM, OFFICIAL_DEGRADED_LEVEL, MAX_DISPERSION, CUSUM_RATIO,
 CUSUM_MIN_SHIFT, FAST_RATE, WARMUP_BUCKETS, YOUNG_BUCKETS, RELEARN_BUCKETS, HALF_CUSUM_DEGRADED,
 RATE_LEVEL, RATE_HOD, RATE_DOW, RATE_DISPERSION, PRIOR_BUCKETS, HOD_PRIOR_BUCKETS, DOW_PRIOR_BUCKETS,
 HOD_AFTER_BUCKETS, DOW_AFTER_BUCKETS, RECOVER_MARGIN_SD, YOUNG_PROFILE_DISPERSION,
 RUN_SIGNIFICANCE_Z) = range(len(LIMITS))

LEVEL, HOD, DOW, HOD_SUM, DOW_SUM = ROW["level"], ROW["hod"], ROW["dow"], ROW["hod_sum"], ROW["dow_sum"]
DISP_NUM, DISP_DEN, POST_SHARE, SEEN = ROW["disp_num"], ROW["disp_den"], ROW["post_share"], ROW["seen"]
CUSUM, RUN_START, RUN_OBS, RUN_EXP = ROW["cusum"], ROW["run_start"], ROW["run_obs"], ROW["run_exp"]
RUN_REPORTERS, FAST_OBS, FAST_EXP = ROW["run_reporters"], ROW["fast_obs"], ROW["fast_exp"]
ALARM, DOWN_RUN, RELEASE_RUN, CALM_RUN = ROW["alarm"], ROW["down_run"], ROW["release_run"], ROW["calm_run"]
CALM_START, ALARM_AGE = ROW["calm_start"], ROW["alarm_age"]
PROBE_RUN, STATUS = ROW["probe_run"], ROW["status"]
SINCE, ONSET, DETECTED, PEAK_COUNT = ROW["since"], ROW["onset"], ROW["detected"], ROW["peak_count"]
PEAK_AT, SEVERITY, LAST_BUCKET = ROW["peak_at"], ROW["severity"], ROW["last_bucket"]
UP, DOWN, UNKNOWN = 0.0, 2.0, 3.0
"""Alarm and status codes as floats (``detector.state``)."""


@inlined
def maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats: NaN wins, and a tie (0.0 and -0.0) gives the second."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a > b else b


@inlined
def minimum(a: float, b: float) -> float:
    """``np.minimum`` of two floats."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b
