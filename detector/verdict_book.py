"""Every service's current verdict, rebuilt only where its content can have changed.

At Downdetector's catalog size (33,000 services) building every verdict each bucket was most of a
detector tick's CPU, yet most services are quiet: no observation, and a verdict that differs from the
last one only in its ``bucket`` and ``updated_at`` (and in an expected count that drifts by less
than a tenth, ``quiet_key``). ``refresh`` rebuilds a verdict when the service
had an observation (now or when its verdict was built) or its ``quiet_key`` moved (asked only of the
services whose ``quiet_snapshot`` row cannot vouch that it did not), and keeps the others as they
were built; ``stamped`` gives every verdict with the last bucket's stamps: what building all of
them would have given, but for that drift.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from detector.live import LiveDetector, QuietSnapshot

Failed = Callable[[str, Exception], None]


class VerdictBook:
    def __init__(self) -> None:
        self.bodies: dict[str, dict[str, Any]] = {}
        """Each verdict as it was last built (its ``bucket`` and ``updated_at`` those of that bucket)."""
        self._keys: dict[str, tuple[Any, ...] | None] = {}
        self._snapshot: QuietSnapshot | None = None
        """The last refresh's ``quiet_snapshot``: a row that still vouches for the same key needs no
        ``quiet_key`` built (most services, most buckets)."""

    def clear(self) -> None:
        """Forget every verdict (a restored detector): the next ``refresh`` builds them all."""
        self.bodies, self._keys, self._snapshot = {}, {}, None

    def refresh(self, detector: LiveDetector, failed: Failed) -> set[str]:
        """Rebuild the verdicts whose content can have changed since they were built; return their
        names. One that cannot be built is left out (and handed to ``failed``)."""
        changed: set[str] = set()
        if detector.last is None:
            return changed
        bodies, keys = self.bodies, self._keys
        snapshot = detector.quiet_snapshot()
        same = np.zeros(len(detector.services), dtype=bool) if self._snapshot is None else (
            snapshot.same_keys(self._snapshot))
        self._snapshot = snapshot
        unsure = np.flatnonzero(~same).tolist()
        names = detector.services
        for i in np.flatnonzero(same).tolist():
            if names[i] not in bodies:  # (its verdict could not be built last time)
                unsure.append(i)
        unsure.sort()
        for service, key in zip([names[i] for i in unsure], detector.quiet_keys(unsure), strict=True):
            if key is not None and service in bodies and keys.get(service) == key:
                continue
            try:
                body = detector.verdict(service).to_dict()
            except Exception as exc:
                bodies.pop(service, None)
                keys.pop(service, None)
                failed(service, exc)
                continue
            bodies[service], keys[service] = body, key
            changed.add(service)
        return changed

    def stamped(self, stamp: tuple[str | None, str | None]) -> dict[str, dict[str, Any]]:
        """Every verdict with ``stamp`` as its ``bucket`` and ``updated_at``."""
        bucket, updated_at = stamp
        return {name: {**body, "bucket": bucket, "updated_at": updated_at}
                for name, body in self.bodies.items()}
