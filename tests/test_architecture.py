"""The shape the codebase promises: thin adapters over the core's top level, a core without build tools."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Set

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


@pytest.mark.parametrize("adapter", ["poetry_lambda_layer", "hatch_lambda_layer"])
def test_adapters_import_only_the_core_top_level(adapter):
    reached: Set[str] = set()
    for path in sorted((REPO_ROOT / adapter).glob("*.py")):
        reached |= {name for name in _imports(path) if name.split(".")[0] == "shared_core"}
    assert reached == {"shared_core"}


def test_core_imports_neither_poetry_nor_hatch():
    for path in sorted((REPO_ROOT / "shared_core").rglob("*.py")):
        tops = {name.split(".")[0] for name in _imports(path)}
        assert not tops & {"poetry", "hatchling", "hatch", "cleo"}, path


def test_no_two_core_modules_differ_only_by_a_suffix():
    stems = sorted(path.stem for path in (REPO_ROOT / "shared_core").rglob("*.py") if path.stem != "__init__")
    clashes = [(a, b) for a in stems for b in stems if a != b and b.startswith(a) and b[len(a):].lstrip("_s") in ("", "ing", "er")]
    assert clashes == []


# -- the core's layers ----------------------------------------------------------------------------

#: Each part of the core and its layer: a module imports only from lower layers, or from its own part.
#: Lambda's facts and the support code at the bottom; then the settings; then the steps in pipeline
#: order (pins -> install -> pack -> publish); then the orchestration; then the entry points.
LAYERS = {
    "errors": 0, "version": 0,
    "lambda_runtime": 1, "layout": 1,
    "support": 2,
    "settings": 3,
    "pins": 4,
    "install": 5,
    "pack": 6,
    "publish": 7,
    "pipeline": 8,
    "api": 9, "cli": 9,
    "__init__": 10,
}


def _core_modules() -> dict:
    """``{dotted module: the shared_core modules it imports}`` for every module of the core."""
    modules = {}
    for path in sorted((REPO_ROOT / "shared_core").rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = {module for module in _imports(path) if module.split(".")[0] == "shared_core"}
    return modules


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_of_the_core_has_a_layer():
    assert {_part(module) for module in _core_modules()} == set(LAYERS)


def test_no_import_from_a_higher_layer():
    upward = [
        (module, imported) for module, imports in _core_modules().items() for imported in imports
        if _part(imported) != _part(module) and LAYERS[_part(imported)] >= LAYERS[_part(module)]
    ]
    assert upward == []


def test_no_import_cycle_between_core_modules():
    modules = _core_modules()
    edges = {module: {imported for imported in imports if imported in modules} for module, imports in modules.items()}
    visiting, done, cycles = set(), set(), []

    def visit(module: str, path: list) -> None:
        if module in done:
            return
        if module in visiting:
            cycles.append([*path[path.index(module):], module])
            return
        visiting.add(module)
        for imported in sorted(edges[module]):
            visit(imported, [*path, module])
        visiting.discard(module)
        done.add(module)

    for module in sorted(edges):
        visit(module, [])
    assert cycles == []


def test_no_two_core_names_differ_only_by_a_suffix_packages_included():
    names = sorted({path.stem for path in (REPO_ROOT / "shared_core").rglob("*.py") if path.stem != "__init__"}
                   | {path.name for path in (REPO_ROOT / "shared_core").rglob("*") if path.is_dir() and path.name != "__pycache__"})
    clashes = [(a, b) for a in names for b in names if a != b and b.startswith(a) and b[len(a):].lstrip("_s") in ("", "ing", "er")]
    assert clashes == []


def test_the_readme_settings_tables_are_the_declarations():
    """The README's tables are written from the settings' declarations: `tools/readme_settings.py` rewrites them."""
    completed = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "readme_settings.py"), "--check"])
    assert completed.returncode == 0, "README.md's settings tables are stale: run tools/readme_settings.py"


def _readme_layout() -> Set[str]:
    """Every ``shared_core`` module the README's "How it works" tree names, as a path under shared_core/."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## How it works", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    named: Set[str] = set()
    package = ""
    for line in block.splitlines():
        if not line.startswith("  ") or line.startswith("   " * 3):
            package = "" if line.startswith("shared_core/") else package
            continue
        entry = line.split()[0]
        if line.startswith("  ") and not line.startswith("    "):  # a top-level module or a package
            package = entry[:-1] if entry.endswith("/") else ""
            names = [name.rstrip(",") for name in line[2:].split("  ")[0].split()]
            named |= {name for name in names if name.endswith(".py")}
        elif package:
            named.add(f"{package}/{entry}")
    return named


def test_the_readme_layout_names_every_core_module_and_no_other():
    actual = {path.relative_to(REPO_ROOT / "shared_core").as_posix()
              for path in (REPO_ROOT / "shared_core").rglob("*.py") if path.name != "__init__.py"}
    assert _readme_layout() - {"__init__.py"} == actual
