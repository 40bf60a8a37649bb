"""``detector.warmup.compile_loops`` compiles every compiled function of the detector, so that a
process may run it ahead of its first bucket (the demo does, while PostgreSQL starts)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

from numba.core.registry import CPUDispatcher

import detector


def compiled_functions() -> set[str]:
    """``module.function`` of every numba-compiled function defined in the detector's modules."""
    found = set()
    for info in pkgutil.iter_modules(detector.__path__):
        module = importlib.import_module(f"detector.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__:
                found.add(f"{info.name}.{name}")
    return found


def test_the_warm_up_compiles_every_loop_and_helper(tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    subprocess.run([sys.executable, "-c", "from detector.warmup import compile_loops; compile_loops()"],
                   check=True, env={**os.environ, "NUMBA_CACHE_DIR": str(cache)}, timeout=600)
    indexed = {path.name.split("-")[0] for path in cache.rglob("*.nbi")}
    expected = compiled_functions()
    assert {"passes.before_tails", "passes.after_tails", "machine.advance"} <= expected
    assert expected - indexed == set()
