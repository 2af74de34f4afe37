"""The interpreters this machine has for Lambda's Python versions, found the way a build finds them (PATH,
pyenv, `uv python find`): their bytecode magic is lambda_runtime's, and a misnamed one is not used."""

from __future__ import annotations

import sys

import pytest

from shared_core.lambda_runtime import LambdaTarget

pytestmark = pytest.mark.in_process


def test_pyc_magic_numbers_are_those_of_each_interpreter_here():
    """lambda_runtime's table against every interpreter of a Lambda version this machine has."""
    import subprocess

    from shared_core.lambda_runtime import SUPPORTED_PYTHON_VERSIONS
    from shared_core.support.toolchain import find_interpreter

    checked = []
    for version in SUPPORTED_PYTHON_VERSIONS:
        target = LambdaTarget.create(version, "x86_64")
        interpreter = find_interpreter(target)
        if interpreter is None:
            continue
        magic = subprocess.run([interpreter, "-c", "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
                               capture_output=True, text=True, check=True).stdout
        assert bytes.fromhex(magic) == target.pyc_magic, version
        checked.append(version)
    assert "%d.%d" % sys.version_info[:2] in checked


def test_an_interpreter_named_for_the_target_but_of_another_version_is_not_used(tmp_path, monkeypatch):
    """A ``python3.13`` on PATH that is really this interpreter (a stale shim, a symlink) would compile
    the layer's bytecode for the wrong version: only one that reports 3.13 itself is taken."""
    import os
    import subprocess

    from shared_core.support.toolchain import find_interpreter

    assert "%d.%d" % sys.version_info[:2] != "3.13"
    shim = tmp_path / "bin" / "python3.13"
    shim.parent.mkdir()
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    found = find_interpreter(LambdaTarget.create("3.13", "x86_64"))
    assert found is not None, "needs a Python 3.13 interpreter in pyenv or for `uv python find` (as test_robustness)"
    reported = subprocess.run([found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert reported == "3.13"
