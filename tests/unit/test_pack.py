"""Step 2, pure pieces: which distributions are left out, and which files are slimmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_core.distributions import InstalledDistribution
from shared_core.pack.exclusion import plan_exclusions
from shared_core.pack.slimming import slim_reason


def _dist(name: str, *files: str, requires: tuple = ()) -> InstalledDistribution:
    return InstalledDistribution(name, "1.0", f"{name}-1.0.dist-info", frozenset(files), tuple(requires))


DISTS = [
    _dist("boto3", "boto3/__init__.py", requires=("botocore", "jmespath")),
    _dist("PyYAML", "yaml/__init__.py", "_yaml/__init__.py"),
    _dist("pytest-cov", "pytest_cov/__init__.py"),
    _dist("app-lib", "app_lib/__init__.py", requires=("PyYAML", "boto3", "botocore")),
]


def test_plan_exclusions_by_normalised_name_and_glob():
    plan = plan_exclusions(DISTS, ["boto3", "pyyaml", "pytest-*", "numpy"], already_excluded=["botocore"])
    assert [(d.name, d.pattern) for d in plan.excluded] == [("boto3", "boto3"), ("PyYAML", "pyyaml"), ("pytest-cov", "pytest-*")]
    assert plan.excluded_files == frozenset({"boto3/__init__.py", "yaml/__init__.py", "_yaml/__init__.py", "pytest_cov/__init__.py"})
    assert plan.unmatched_patterns == ("numpy",)
    # runtime-provided requirements are expected; an excluded ordinary one is a broken requirement
    assert plan.runtime_dependents == (("app-lib", "boto3"), ("app-lib", "botocore"))
    assert plan.broken_requirements == (("app-lib", "PyYAML"),)


def test_plan_exclusions_counts_names_excluded_before_install_as_matched():
    plan = plan_exclusions(DISTS, ["botocore", "s3transfer"], already_excluded=["botocore"])
    assert plan.excluded == () and plan.unmatched_patterns == ("s3transfer",)
    assert plan.runtime_dependents == (("boto3", "botocore"), ("app-lib", "botocore"))


def _pyc(tmp_path: Path, flags: int) -> Path:
    path = tmp_path / "mod.pyc"
    path.write_bytes(b"\x00" * 4 + flags.to_bytes(4, "little") + b"\x00" * 8)
    return path


@pytest.mark.parametrize("relpath, flags, kept, reason", [
    ("bin/normalizer", 0, {"bin/normalizer"}, "console scripts"),
    (".lock", 0, {".lock"}, "installer leftovers"),
    ("idna-3.7.dist-info/uv_cache.json", 0, set(), "installer leftovers"),
    ("fake_sdist_only-1.0.dist-info/uv_build.json", 0, set(), "installer leftovers"),
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b01, {"pkg/mod.py"}, None),        # ours: unchecked hash
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b00, {"pkg/mod.py"}, "stale bytecode"),  # timestamp-based
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b11, {"pkg/mod.py"}, "stale bytecode"),  # checked hash
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b01, set(), "stale bytecode"),      # its source is gone
    ("pkg/mod.pyc", 0b01, {"pkg/mod.py"}, "stale bytecode"),                     # legacy placement
    ("pkg/__pycache__/notes.txt", 0, set(), "stale bytecode"),
    ("pkg/_speed.cpython-312-x86_64-linux-gnu.so", 0, set(), None),
    ("pkg-1.0.dist-info/RECORD", 0, set(), None),
])
def test_slim_reason(tmp_path, relpath, flags, kept, reason):
    assert slim_reason(relpath, _pyc(tmp_path, flags), kept) == reason
