"""``drop-package-tests``: which test suites that packages ship inside themselves can be left out.

A package's test suite is a directory named ``tests`` or ``test`` below a top-level directory:
``pandas/tests``, ``numpy/_core/tests``, ``pyarrow/tests`` (the directories bytecode
compilation already skips). What stays, whatever its name suggests:

- a *top-level* ``tests``/``test`` directory: to Python it is an importable package of that
  name, and nothing says nobody imports it;
- ``testing``/``_testing`` directories (``numpy.testing``, ``pandas._testing``): public helpers
  the packages import themselves, not test suites;
- ``test_*.py``/``conftest.py`` files outside such a directory, and everything in ``*.dist-info``.

Nothing kept may import what is dropped. Every kept ``.py`` that mentions ``test`` is scanned for
import statements (absolute and relative, resolved to module names); a test directory that a
kept module imports is kept, with its importer named, and its own imports then count too, until
nothing kept imports a dropped module. Statements are found by a line scan rather than by parsing
the file, so the answer does not depend on the grammar of the Python running the build (numpy's
sources use syntax that Python 3.11 cannot parse); text in a docstring that looks like an import
can only keep a directory that could have gone, never drop one that is needed. Imports no scan
can see (``importlib.import_module`` of a computed name, extension modules) are the job of the
import check (:mod:`.import_check`).

The plan is a pure decision over the staged file list: the packer leaves ``dropped_files`` out
before anything is written, so RECORD files written from the packed list leave them out too.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from shared_core.pack.tree import StagedFile

#: Directory names that hold a package's own test suite (below the top level only).
TEST_DIRECTORY_NAMES: FrozenSet[str] = frozenset({"tests", "test"})

#: ``import a.b, c as d`` and ``from .a import (b, c)`` at the start of a line or after ``;``/``:``
#: (``try: import x``); a parenthesised name list may span lines.
_IMPORT_STATEMENT = re.compile(
    rb"(?:^|[;:])[ \t]*(from[ \t]+\.*[\w.]*[ \t]+import[ \t]*(?:\([^)]*\)|[^\n;#]*)|import[ \t]+[^\n;#]+)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class KeptTestSuite:
    """A test directory kept because a kept module imports it."""

    root: str  # e.g. "pkg/tests"
    importer: str  # the kept file whose import statement names it, e.g. "pkg/util/_tester.py"
    module: str  # the module that statement imports, e.g. "pkg.tests.helpers"


@dataclass(frozen=True)
class PackageTestsPlan:
    """What ``drop-package-tests`` leaves out of a layer, and what it had to keep."""

    dropped_roots: Tuple[str, ...]  # sorted test directories left out, e.g. ("numpy/_core/tests", "pandas/tests")
    kept: Tuple[KeptTestSuite, ...]  # test directories a kept module imports, sorted by root
    dropped_files: FrozenSet[str]
    dropped_bytes: int


def suite_root(relpath: str) -> Optional[str]:
    """``pkg/sub/tests/x.py`` -> ``pkg/sub/tests``: the outermost test directory holding a file, if any."""
    parts = relpath.split("/")
    if parts[0].endswith(".dist-info"):
        return None
    for index in range(1, len(parts) - 1):
        if parts[index] in TEST_DIRECTORY_NAMES:
            return "/".join(parts[: index + 1])
    return None


def module_package(relpath: str) -> Tuple[str, ...]:
    """The package a ``.py`` file's relative imports start from: ``a/b/c.py`` and ``a/b/__init__.py`` -> ``("a", "b")``."""
    return tuple(relpath.split("/")[:-1])


def imported_modules(relpath: str, source: bytes, mentioning: bytes = b"") -> Set[str]:
    """Every module an import statement in ``source`` may load, resolved for a file at ``relpath``.

    ``from .x import y`` in ``a/b/c.py`` may load ``a.b.x`` and ``a.b.x.y``; ``import a.b`` loads
    ``a`` and ``a.b``. A statement that does not parse (text in a docstring) is ignored, and so
    is one whose text lacks ``mentioning``.
    """
    if b"import" not in source:
        return set()
    found: Set[str] = set()
    package = module_package(relpath)
    for match in _IMPORT_STATEMENT.finditer(source):
        if mentioning not in match.group(1):
            continue
        try:
            tree = ast.parse(match.group(1).decode("utf-8", "replace").strip())
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    found.update(".".join(parts[: end + 1]) for end in range(len(parts)))
            elif isinstance(node, ast.ImportFrom):
                base = _absolute_base(package, node.level, node.module)
                if base:
                    found.add(base)
                    found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def _absolute_base(package: Tuple[str, ...], level: int, module: Optional[str]) -> str:
    """The absolute module of ``from <level dots><module> import``; "" when it climbs out of the tree."""
    if level == 0:
        return module or ""
    if level - 1 > len(package) or (level - 1 == len(package) and not module):
        return ""
    parts = list(package[: len(package) - (level - 1)])
    if module:
        parts.append(module)
    return ".".join(parts)


def _dotted(root: str) -> str:
    return root.replace("/", ".")


def _suite_of(module: str, dropped: Dict[str, str]) -> Optional[str]:
    """The dropped test directory (by dotted name) that ``module`` is or lies in."""
    parts = module.split(".")
    for end in range(2, len(parts) + 1):
        root = dropped.get(".".join(parts[:end]))
        if root is not None:
            return root
    return None


def _scanned_sources(files: Iterable[StagedFile]) -> List[StagedFile]:
    """The Python sources among ``files`` (only a source whose text mentions ``test`` can import a
    test directory: the statement names it)."""
    return [staged for staged in files if staged.relpath.endswith(".py")]


def _staged_bytes(staged: StagedFile) -> bytes:
    return staged.source.read_bytes()


def plan_package_tests(files: Sequence[StagedFile], read: Callable[[StagedFile], bytes] = _staged_bytes) -> PackageTestsPlan:
    """Decide which test directories of ``files`` (the layer as it would be packed) to leave out.

    ``read``: a file's bytes (its ``source`` by default; the report reads a written zip's members).
    """
    by_root: Dict[str, List[StagedFile]] = {}
    kept_files: List[StagedFile] = []
    for staged in files:
        root = suite_root(staged.relpath)
        if root is None:
            kept_files.append(staged)
        else:
            by_root.setdefault(root, []).append(staged)
    dropped: Dict[str, str] = {_dotted(root): root for root in by_root}
    kept: List[KeptTestSuite] = []
    queue: Deque[StagedFile] = deque(_scanned_sources(kept_files))
    while queue and dropped:
        staged = queue.popleft()
        source = read(staged)
        if b"test" not in source:
            continue
        # A statement importing a test directory names it (``tests``/``test``) in its own text: a
        # relative one can only inherit that name from its file's package, which is then kept already.
        for module in sorted(imported_modules(staged.relpath, source, mentioning=b"test")):
            root = _suite_of(module, dropped)
            if root is not None:
                del dropped[_dotted(root)]
                kept.append(KeptTestSuite(root, staged.relpath, module))
                queue.extend(_scanned_sources(by_root[root]))
    dropped_roots = tuple(sorted(dropped.values()))
    dropped_files = [staged for root in dropped_roots for staged in by_root[root]]
    return PackageTestsPlan(
        dropped_roots=dropped_roots,
        kept=tuple(sorted(kept, key=lambda suite: suite.root)),
        dropped_files=frozenset(staged.relpath for staged in dropped_files),
        dropped_bytes=sum(staged.size for staged in dropped_files),
    )
