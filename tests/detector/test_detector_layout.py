"""The detector's modules import one another without a circle (each idea builds on the ones below it)."""

from __future__ import annotations

import ast
from pathlib import Path

import detector

PACKAGE = Path(detector.__file__).parent


def imports(path: Path, modules: set[str]) -> set[str]:
    """The detector modules ``path`` imports (type-checking imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "detector":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("detector."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("detector.")}
    return found & modules


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph``, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        for used in sorted(graph.get(module, set())):
            if used in path:
                return [*path[path.index(used):], used]
            if used not in done:
                found = visit(used, [*path, used])
                if found:
                    return found
        done.add(module)
        return None

    for module in sorted(graph):
        found = visit(module, [module])
        if found:
            return found
    return None


def test_no_detector_module_imports_itself_through_others() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir() if p.is_dir()
                                                        and (p / "__init__.py").exists()}
    graph = {p.stem: imports(p, modules) for p in PACKAGE.glob("*.py")}
    assert graph["engine"] >= {"passes", "limits", "confidence"}
    assert cycle(graph) is None


def test_the_cycle_finder_finds_a_circle() -> None:
    assert cycle({"engine": {"machine"}, "machine": {"passes"}, "passes": {"engine"}}) == [
        "engine", "machine", "passes", "engine"]
    assert cycle({"engine": {"machine"}, "machine": set()}) is None
