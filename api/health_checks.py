"""The named checks behind ``/healthz``: each part of the process that can fail registers one.

A check is a function of no arguments returning ``(ok, details)`` from state kept in memory (it must
never wait on the store). ``/healthz`` answers 503 and lists the failing checks when any fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[], tuple[bool, dict[str, Any]]]


class HealthChecks:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self._checks[name] = check

    def run(self) -> dict[str, dict[str, Any]]:
        """Every check's details, each with ``ok``; a check that raises is failing."""
        results = {}
        for name, check in self._checks.items():
            try:
                ok, details = check()
            except Exception as exc:
                ok, details = False, {"error": f"the check itself failed: {type(exc).__name__}"}
            results[name] = {"ok": ok, **details}
        return results
