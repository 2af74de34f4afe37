"""shared_core.install.bytecode: every .pyc is announced as soon as it is in place, compiled or reused,
whether the modules are spread over worker processes or compiled in one."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import List

import pytest

from shared_core.install.bytecode import compile_bytecode
from shared_core.lambda_runtime import LambdaTarget

HOST = LambdaTarget("%d.%d" % sys.version_info[:2], {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()])
TAG = "cpython-%d%d" % sys.version_info[:2]


def make_modules(root: Path, count: int) -> None:
    for index in range(count):
        path = root / "pkg" / f"mod{index:03d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE = {index}\n")
    (root / "pkg/__init__.py").write_text("")
    (root / "pkg/tests").mkdir()
    (root / "pkg/tests/test_mod.py").write_text("import pkg\n")  # package tests are not compiled
    (root / "pkg/broken.py").write_text("def broken(:\n")  # not Python: reported, no .pyc


@pytest.mark.parametrize("count", [10, 120], ids=["in one process", "on worker processes"])
def test_each_pyc_is_announced_once_when_written_then_again_when_reused(tmp_path, monkeypatch, count):
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "python"
    make_modules(root, count)
    expected = sorted([f"pkg/__pycache__/mod{index:03d}.{TAG}.pyc" for index in range(count)]
                      + [f"pkg/__pycache__/__init__.{TAG}.pyc"])
    for reused in (0, count + 1):  # the second time every entry comes from the bytecode cache
        written: List[str] = []
        result = compile_bytecode(root, HOST, sys.executable, written=written.append)
        assert (result.files, result.from_cache, [path for path, _ in result.invalid]) == (count + 1, reused, ["pkg/broken.py"])
        assert sorted(written) == expected and len(written) == len(set(written))
        assert sorted(path.relative_to(root).as_posix() for path in root.rglob("*.pyc")) == expected
