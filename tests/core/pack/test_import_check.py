"""shared_core.pack.import_check: the layer's top-level modules, imported in a clean interpreter without the dropped tests."""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path
from typing import Dict

from shared_core.lambda_runtime import LambdaTarget
from shared_core.pack.compress_ahead import Slots
from shared_core.pack.import_check import ImportCheck, check_imports, start_import_check, top_level_modules


def _write(root: Path, files: Dict[str, bytes]) -> None:
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def test_top_level_modules():
    relpaths = [
        "pandas/__init__.py", "pandas/core/frame.py", "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so",
        "numpy.libs/libscipy_openblas64_-ff651d7f.so", "six.py", "_cffi_backend.cpython-312-x86_64-linux-gnu.so",
        "__pycache__/six.cpython-312.pyc", "bin/tool.py", "pandas-2.2.3.dist-info/METADATA", "data-only/readme.txt",
        "tests/__init__.py", "nspkg/sub/mod.py", "typing_extensions.py", "notes.txt",
    ]
    assert top_level_modules(relpaths) == (  # bin/ left after slimming is a package called bin
        "_cffi_backend", "bin", "nspkg", "numpy", "pandas", "six", "tests", "typing_extensions",
    )


def test_import_check_blames_the_drop_only_for_what_fails_without_the_tests(tmp_path, monkeypatch):
    _write(tmp_path, {
        "good/__init__.py": b"from . import core\n",
        "good/core.py": b"VALUE = 1\n",
        "dynamic/__init__.py": b"import importlib\nimportlib.import_module('dynamic.' + 'tests.helper')\n",
        "dynamic/tests/__init__.py": b"",
        "dynamic/tests/helper.py": b"",
        # fails both ways, and says which of our variables it could see (none may leak in)
        "envprobe/__init__.py": b"import os\nraise ImportError(','.join(sorted(k for k in os.environ if k.startswith('LLB_'))) or 'clean')\n",
    })
    monkeypatch.setenv("LLB_INDEX_TOKEN", "s3cr3t")
    host = LambdaTarget("%d.%d" % sys.version_info[:2], {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()])
    check = check_imports(tmp_path, ("dynamic", "envprobe", "good"), ("dynamic.tests",), host, sys.executable)
    assert check == ImportCheck(
        ran=True,
        reason=sys.executable,
        modules=("dynamic", "envprobe", "good"),
        broken=(("dynamic", "ModuleNotFoundError: No module named 'dynamic.tests' "
                            "(a package test directory left out of the layer)"),),
        failing_anyway=(("envprobe", "ImportError: clean"),),
    )
    assert not list(tmp_path.rglob("__pycache__"))  # -B: the staged tree is only read


def test_import_check_that_hangs_does_not_run_rather_than_fail(tmp_path):
    _write(tmp_path, {"sleepy/__init__.py": b"import time\ntime.sleep(60)\n"})
    host = LambdaTarget("%d.%d" % sys.version_info[:2], {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()])
    check = check_imports(tmp_path, ("sleepy",), ("sleepy.tests",), host, sys.executable, timeout=1)
    assert check == ImportCheck(False, f"the imports did not finish within 1 s with {sys.executable}")


def test_the_import_check_runs_its_interpreter_in_a_slot_and_gives_it_back(tmp_path):
    _write(tmp_path, {"good/__init__.py": b"VALUE = 1\n", "good/tests/__init__.py": b""})
    host = LambdaTarget("%d.%d" % sys.version_info[:2], {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()])
    slots = Slots(1)
    with slots:  # the zip's compression holds the only core
        running = start_import_check(tmp_path, ("good",), ("good.tests",), host, sys.executable, slot=slots)
        time.sleep(0.3)
        assert running._process is None  # waits for the slot: no interpreter yet
    assert running.result() == ImportCheck(True, sys.executable, ("good",))
    running.cancel()
    with slots:  # given back
        pass


def test_the_import_check_starts_no_blas_threads(tmp_path, monkeypatch):
    _write(tmp_path, {"probe/__init__.py": b"import os\nraise ImportError(os.environ.get('OPENBLAS_NUM_THREADS', 'unset'))\n",
                      "probe/tests/__init__.py": b""})
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")  # ours is not passed on
    host = LambdaTarget("%d.%d" % sys.version_info[:2], {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()])
    check = check_imports(tmp_path, ("probe",), ("probe.tests",), host, sys.executable)
    assert check.failing_anyway == (("probe", "ImportError: 1"),)
