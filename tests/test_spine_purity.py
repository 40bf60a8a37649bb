"""The spine (records, errors, config, catalog, clock, input limits, store, pgembed) imports nothing
above it."""

from __future__ import annotations

import ast
from pathlib import Path

import downwatch

ROOT = Path(downwatch.__file__).parent
SPINE = ["records.py", "errors.py", "config.py", "catalog.py", "clock.py", "pgembed.py", "input_limits.py",
         "store"]
ABOVE = ("api", "ingest", "detector", "downwatch.runtime", "downwatch.research")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def spine_modules() -> list[Path]:
    paths: list[Path] = []
    for entry in SPINE:
        target = ROOT / entry
        paths.extend(sorted(target.rglob("*.py")) if target.is_dir() else [target])
    return paths


def above_the_spine(names: set[str]) -> set[str]:
    return {n for n in names if any(n == a or n.startswith(a + ".") for a in ABOVE)}


def test_no_spine_module_imports_the_layers_above_it() -> None:
    modules = spine_modules()
    assert len(modules) >= 10
    offenders = {str(p.relative_to(ROOT)): sorted(bad) for p in modules
                 if (bad := above_the_spine(imported_modules(p)))}
    assert offenders == {}


def test_the_check_catches_an_import_from_above(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from downwatch.runtime.ticker import DetectorTicker\nimport api.app\n"
                      "from downwatch.errors import InputError\n")
    assert above_the_spine(imported_modules(sample)) == {"downwatch.runtime.ticker", "api.app"}
