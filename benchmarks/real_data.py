"""The shared real data the real-data benchmarks read, and the fixed tuning / held-out split.

The split was fixed before any figure of the current detector was looked at, by a rule that does not
look at the data:

* Downdetector incidents: an incident is in the **tuning** part when the SHA-256 of its id (as text,
  e.g. ``aws-187783``), read as an integer, is even; otherwise it is **held out**. On the shared 66
  that is 31 tuning and 35 held-out incidents.
* NAB realTweets: the two files whose names (e.g. ``Twitter_volume_AMZN.csv``) have the smallest
  SHA-256 are the **tuning** files; the others are held out. On the shared five: tuning AMZN and CRM;
  held out AAPL, CVS and FB.

Settings of the detector are chosen looking at the tuning part only; the held-out part and all of it
are reported afterwards (``--part``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DOWNDETECTOR = REPO_ROOT.parent / "shared" / "data" / "downdetector"
DEFAULT_NAB = REPO_ROOT.parent / "shared" / "data" / "nab"
PARTS = ("tuning", "held-out", "all")
TUNING_TWEET_FILES = 2


def digest(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def incident_part(incident: str) -> str:
    """``tuning`` or ``held-out`` for a Downdetector incident id."""
    return "tuning" if digest(incident) % 2 == 0 else "held-out"


def tweet_parts(file_names: list[str]) -> dict[str, str]:
    """``tuning`` or ``held-out`` for each realTweets file name (base name, e.g. Twitter_volume_AMZN.csv)."""
    ranked = sorted(file_names, key=digest)
    return {name: "tuning" if rank < TUNING_TWEET_FILES else "held-out" for rank, name in enumerate(ranked)}


def in_part(part_of_item: str, wanted: str) -> bool:
    return wanted == "all" or part_of_item == wanted
