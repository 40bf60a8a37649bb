"""The detector package is pure: no asyncio, database, HTTP, ingest or api imports anywhere in it."""

from __future__ import annotations

import ast
from pathlib import Path

import detector

FORBIDDEN = {"asyncio", "asyncpg", "aiohttp", "ingest", "api", "socket", "requests", "urllib", "http",
             "praw", "downwatch.store", "downwatch.runtime", "downwatch.research", "subprocess"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_of_the_detector_package_imports_io() -> None:
    root = Path(detector.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) >= 10
    offenders = {}
    for path in modules:
        bad = {name for name in imported_modules(path)
               if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}
        if bad:
            offenders[str(path.relative_to(root))] = sorted(bad)
    assert offenders == {}


def test_the_check_itself_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import asyncio\nfrom aiohttp import web\nfrom detector import engine\n")
    assert imported_modules(sample) == {"asyncio", "aiohttp", "detector"}
