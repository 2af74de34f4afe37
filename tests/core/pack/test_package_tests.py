"""shared_core.pack.package_tests: which directories are test suites, what imports them, what is dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from shared_core.pack.package_tests import KeptTestSuite, imported_modules, plan_package_tests, suite_root
from shared_core.pack.tree import walk_tree


@pytest.mark.parametrize("relpath, root", [
    ("pandas/tests/frame/test_api.py", "pandas/tests"),
    ("numpy/_core/tests/data/umath-validation-set-README.txt", "numpy/_core/tests"),
    ("numpy/testing/tests/test_utils.py", "numpy/testing/tests"),   # tests of a testing helper
    ("pkg/sub/test/tests/x.py", "pkg/sub/test"),                      # the outermost test directory
    ("pkg/test/__init__.py", "pkg/test"),
    ("tests/test_top.py", None),                                      # a top-level package named tests
    ("test/__init__.py", None),
    ("pkg/tests.py", None),                                           # a module, not a directory
    ("pkg/tests", None),                                              # a file named tests
    ("pkg/testing/__init__.py", None),                                # numpy.testing: imported by numpy
    ("pandas/_testing/__init__.py", None),
    ("pkg/conftest.py", None),
    ("pkg/test_helpers.py", None),
    ("pkg-1.0.dist-info/tests/x.txt", None),                          # metadata is never touched
])
def test_suite_root(relpath, root):
    assert suite_root(relpath) == root


@pytest.mark.parametrize("relpath, source, modules", [
    ("a/b/c.py", b"from .tests import helpers\n", {"a.b.tests", "a.b.tests.helpers"}),
    ("a/b/__init__.py", b"from . import tests as t, util\n", {"a.b", "a.b.tests", "a.b.util"}),
    ("a/b/c.py", b"from ..x.tests import (\n    y,\n    z as w,\n)\n", {"a.x.tests", "a.x.tests.y", "a.x.tests.z"}),
    ("a/b.py", b"import a.tests.conftest, os.path as p\n", {"a", "a.tests", "a.tests.conftest", "os", "os.path"}),
    ("a/b.py", b"try: import a.tests\nexcept ImportError: pass\n", {"a", "a.tests"}),
    ("a/b.py", b"x = 1; from a import tests\n", {"a", "a.tests"}),
    ("a/b.py", b"def f():\n    from a.tests import *\n", {"a.tests"}),
    ("a/b.py", b"from ... import tests\n", set()),                         # climbs out of the tree
    ("a/b.py", b"type Alias = int\nfrom .tests import h\n", {"a.tests", "a.tests.h"}),  # 3.12 syntax elsewhere
    ("a/b.py", b'"""Docs.\n\nimport this, that\n"""\n', {"this", "that"}),  # looks like an import: counted
    ("a/b.py", b"# import a.tests\nx = 'from a import tests'\n", set()),
    ("a/b.py", b"x = 1\n", set()),
])
def test_imported_modules(relpath, source, modules):
    assert imported_modules(relpath, source) == modules


def test_imported_modules_only_statements_mentioning():
    source = b"from .tests import h\nimport numpy\nfrom . import util\n"
    assert imported_modules("a/b.py", source, mentioning=b"test") == {"a.tests", "a.tests.h"}


def _write(root: Path, files: Dict[str, bytes]) -> None:
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def test_plan_drops_unimported_suites_and_keeps_imported_ones_transitively(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": b"from .core import f\n",
        "pkg/core.py": b"def f():\n    return 1\n",
        "pkg/tests/__init__.py": b"",
        "pkg/tests/test_core.py": b"from pkg.core import f\n" + b"#" * 77,          # 100 bytes
        "pkg/tests/data/blob.bin": b"\0" * 1000,
        "pkg/testing/__init__.py": b"from pkg.tests import nothing\n",               # a testing helper...
        "chain/__init__.py": b"def run():\n    from chain.tests import fixtures\n",  # ...and a lazy import
        "chain/tests/__init__.py": b"",
        "chain/tests/fixtures.py": b"from other.sub.test import helper\n",
        "other/__init__.py": b"",
        "other/sub/test/__init__.py": b"",
        "other/sub/test/helper.py": b"X = 1\n",
        "other/sub/tests/__init__.py": b"x" * 20,
        "tests/__init__.py": b"",                                                   # top level: kept
        "pkg-1.0.dist-info/RECORD": b"pkg/tests/test_core.py,,\n",
    })
    plan = plan_package_tests(walk_tree(tmp_path))
    assert plan.dropped_roots == ("other/sub/tests",)
    assert plan.kept == (
        KeptTestSuite("chain/tests", "chain/__init__.py", "chain.tests"),
        KeptTestSuite("other/sub/test", "chain/tests/fixtures.py", "other.sub.test"),
        KeptTestSuite("pkg/tests", "pkg/testing/__init__.py", "pkg.tests"),
    )
    assert plan.dropped_files == frozenset({"other/sub/tests/__init__.py"})
    assert plan.dropped_bytes == 20


def test_plan_drops_every_suite_nothing_imports(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": b"from .core import f  # see pkg/tests for tests\n",
        "pkg/core.py": b"def f():\n    return 1\n",
        "pkg/tests/__init__.py": b"",
        "pkg/tests/test_core.py": b"from pkg.core import f\n" + b"#" * 77,
        "pkg/tests/data/blob.bin": b"\0" * 1000,
        "pkg/sub/test/t.py": b"import pkg.tests\n",   # dropped suites may import each other
    })
    plan = plan_package_tests(walk_tree(tmp_path))
    assert plan.dropped_roots == ("pkg/sub/test", "pkg/tests")
    assert plan.kept == ()
    assert plan.dropped_files == frozenset(
        {"pkg/tests/__init__.py", "pkg/tests/test_core.py", "pkg/tests/data/blob.bin", "pkg/sub/test/t.py"}
    )
    assert plan.dropped_bytes == 0 + 100 + 1000 + 17
