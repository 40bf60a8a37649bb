"""One author counts once per service per window; reposts and repeated texts do not multiply.

Windows are aligned to the epoch (``floor(t / window)``), so the same observations give the same
result in any order, live or replayed. Author ids are replaced by a keyed hash (HMAC-SHA256) here;
the raw id never goes further.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

DEFAULT_WINDOW_SECONDS = 900
_KEPT_WINDOWS = 2


def author_hash(key: bytes, source: str, author: str) -> str:
    """HMAC-SHA256 of ``source`` and ``author`` under ``key``, hex; the same person on two sources differs."""
    return hmac.new(key, f"{source}\x00{author}".encode(), hashlib.sha256).hexdigest()


class Deduplicator:
    """Remembers what counted in the current and previous windows; older windows are forgotten."""

    def __init__(self, window_seconds: int = DEFAULT_WINDOW_SECONDS) -> None:
        if window_seconds < 1:
            raise ValueError("window_seconds must be at least 1")
        self.window_seconds = window_seconds
        self._seen: dict[int, set[tuple[str, str]]] = {}
        self._newest = -1

    def window_of(self, when: datetime) -> int:
        return int(when.timestamp()) // self.window_seconds

    def admit(self, when: datetime, author_hash: str | None, service: str) -> bool:
        """True the first time this author speaks of this service in the window.

        A repeated identical text from the same author names the same service, so it is caught here.
        Observations without an author always count (their source and id keep them unique).
        """
        if author_hash is None:
            return True
        window = self.window_of(when)
        if window > self._newest:
            self._newest = window
            for old in [w for w in self._seen if w <= window - _KEPT_WINDOWS]:
                del self._seen[old]
        seen = self._seen.setdefault(window, set())
        key = (author_hash, service)
        if key in seen:
            return False
        seen.add(key)
        return True
