"""The shape the codebase promises: thin adapters over the core's top level, a core without build tools."""

from __future__ import annotations

import ast
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
