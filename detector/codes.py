"""The detector's numeric codes, the only place they are defined.

Alarm and shown status: the state machine's alarm is ``UP``, ``DEGRADED`` or ``DOWN``; the shown
status is the alarm, or ``UNKNOWN`` while the service is cold (too little history) or stale (a source
that carries its volume stopped). The compiled loops compare them with the float64 state rows.

Official status page indicators: ``NO_OFFICIAL`` (no status data) and 0 none/operational, 1 minor,
2 major, 3 critical, 4 maintenance; an indicator from ``OFFICIAL_MINOR`` to ``OFFICIAL_CRITICAL`` is an
incident the page admits (maintenance is planned, so it is not one).
"""

from __future__ import annotations

from typing import Final

from downwatch.records import Status

UP: Final = 0
DEGRADED: Final = 1
DOWN: Final = 2
UNKNOWN: Final = 3

STATUS_BY_CODE: dict[int, Status] = {UP: Status.UP, DEGRADED: Status.DEGRADED, DOWN: Status.DOWN,
                                     UNKNOWN: Status.UNKNOWN}

NO_OFFICIAL: Final = -1
OFFICIAL_NONE: Final = 0
OFFICIAL_MINOR: Final = 1
OFFICIAL_MAJOR: Final = 2
OFFICIAL_CRITICAL: Final = 3
OFFICIAL_MAINTENANCE: Final = 4
OFFICIAL_CODES: dict[str, int] = {"none": OFFICIAL_NONE, "operational": OFFICIAL_NONE,
                                  "minor": OFFICIAL_MINOR, "major": OFFICIAL_MAJOR,
                                  "critical": OFFICIAL_CRITICAL, "maintenance": OFFICIAL_MAINTENANCE}
"""Status page indicator name -> code (an unknown name is taken as ``minor``)."""
OFFICIAL_NAMES: dict[int, str] = {NO_OFFICIAL: "unknown", OFFICIAL_NONE: "none", OFFICIAL_MINOR: "minor",
                                  OFFICIAL_MAJOR: "major", OFFICIAL_CRITICAL: "critical",
                                  OFFICIAL_MAINTENANCE: "maintenance"}
"""Code -> indicator name as the verdict shows it."""
