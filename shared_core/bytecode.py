"""Compile unchecked-hash ``.pyc`` (PEP 552) for the target Python so cold starts skip compiling.

Lambda's ``/opt`` is read-only, so without valid bytecode every cold start recompiles every
imported module. Timestamp ``.pyc`` would be stale under the zip's fixed timestamp, hence
unchecked-hash ones; the source path recorded is ``/opt/python/...``, where the file will be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .target import LambdaTarget
from .tools import find_uv, run_tool

LAMBDA_LAYER_PYTHON = "/opt/python"

_COMPILE_SCRIPT = """
import compileall, py_compile, re, sys
ok = compileall.compile_dir(
    sys.argv[1], ddir=sys.argv[2], quiet=2, workers=0, rx=re.compile(r"(^|[/\\\\])bin[/\\\\]"),
    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
)
"""


@dataclass(frozen=True)
class BytecodeResult:
    compiled: bool
    interpreter: Optional[str]
    reason: str


def find_interpreter(target: LambdaTarget) -> Optional[str]:
    """An interpreter of the target's version: this one, ``pythonX.Y`` on PATH, or ``uv python find``."""
    if "%d.%d" % sys.version_info[:2] == target.python_version:
        return sys.executable
    on_path = shutil.which(f"python{target.python_version}")
    if on_path:  # may be a shim (pyenv, asdf): ask it for the real interpreter
        probe = subprocess.run(
            [on_path, "-c", "import sys; print(sys.executable, '%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False,
        )
        parts = probe.stdout.strip().rsplit(" ", 1)
        if probe.returncode == 0 and len(parts) == 2 and parts[1] == target.python_version:
            return parts[0]
    try:
        completed = run_tool(
            [find_uv(), "python", "find", "--no-project", target.python_version], what="uv python find",
            extra_env={"UV_PYTHON_DOWNLOADS": "never"}, check=False,
        )
    except Exception:
        return None
    found = completed.stdout.strip()
    return found if completed.returncode == 0 and found else None


def compile_bytecode(root: Path, target: LambdaTarget) -> BytecodeResult:
    """Compile every module under ``root``; hash seed fixed so the bytes are reproducible."""
    interpreter = find_interpreter(target)
    if interpreter is None:
        return BytecodeResult(False, None, f"no Python {target.python_version} interpreter found on this machine")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"  # frozenset constants are marshalled in hash order
    completed = subprocess.run(
        [interpreter, "-s", "-c", _COMPILE_SCRIPT, str(root), LAMBDA_LAYER_PYTHON],
        env=env, capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        return BytecodeResult(False, interpreter, f"{interpreter} could not compile: {completed.stderr.strip()[-300:]}")
    return BytecodeResult(True, interpreter, f"compiled with {interpreter}")
