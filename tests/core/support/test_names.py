"""shared_core.support.names: distribution names compared the way packaging normalises them, and glob patterns."""

from __future__ import annotations

import pytest

from shared_core.support.names import is_glob, matches, normalize_name


@pytest.mark.parametrize("name, pattern, ok", [
    ("PyYAML", "pyyaml", True), ("python_dateutil", "python-dateutil", True), ("pipe", "pip", False),
    ("pytest-cov", "pytest-*", True), ("pytest", "pytest-*", False), ("Zope.Interface", "zope-interface", True),
])
def test_name_matching(name, pattern, ok):
    assert matches(name, pattern) is ok


@pytest.mark.parametrize("name, normalized", [
    ("PyYAML", "pyyaml"), ("python_dateutil", "python-dateutil"), ("Zope..Interface", "zope-interface"),
    ("a-_.b", "a-b"), ("six", "six"),
])
def test_normalize_name(name, normalized):
    assert normalize_name(name) == normalized


@pytest.mark.parametrize("pattern, glob", [("pytest-*", True), ("py?aml", True), ("[ab]cd", True), ("pytest", False),
                                           ("Xylophone", False)])
def test_is_glob(pattern, glob):
    assert is_glob(pattern) is glob
