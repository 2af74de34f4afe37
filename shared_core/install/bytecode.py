"""Compile unchecked-hash ``.pyc`` (PEP 552) for the target Python so cold starts skip compiling.

Lambda's ``/opt`` is read-only, so without valid bytecode every cold start recompiles every
imported module. Timestamp ``.pyc`` would be stale under the zip's fixed timestamp, hence
unchecked-hash ones; the source path recorded is ``/opt/python/...``, where the file will be.
Compiled files are cached by (interpreter, recorded path, source bytes), so a rebuild copies
instead of compiling. ``tests``/``test`` directories inside packages are not compiled: nothing
imports them on Lambda, and they would double their share of the layer.
"""

from __future__ import annotations

import glob
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from ..lambda_runtime import LAYER_PYTHON_DIR, LambdaTarget
from ..tools import find_uv, run_tool

# Runs under the *target* interpreter (any version 3.9+), so it only uses the standard library.
_COMPILE_SCRIPT = r"""
import hashlib, importlib.util, os, py_compile, sys
from concurrent.futures import ProcessPoolExecutor

root, ddir, cache = sys.argv[1:4]
SKIP_DIRS = {"__pycache__", "tests", "test"}
SALT = (sys.version + "\0").encode() + importlib.util.MAGIC_NUMBER


def sources():
    for directory, dirs, files in os.walk(root):
        relative = os.path.relpath(directory, root)
        depth = 0 if relative == "." else relative.count(os.sep) + 1
        if depth == 0:
            dirs[:] = sorted(d for d in dirs if d != "bin" and not d.endswith((".dist-info", ".data")))
        else:
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                dfile = ddir + "/" + os.path.relpath(path, root).replace(os.sep, "/")
                yield path, dfile


def cached_path(path, dfile):
    with open(path, "rb") as handle:
        key = hashlib.sha256(SALT + dfile.encode() + b"\0" + handle.read()).hexdigest()
    return os.path.join(cache, key[:2], key + ".pyc")


def compile_one(job):
    path, dfile, stored = job
    cfile = importlib.util.cache_from_source(path)
    try:
        py_compile.compile(path, cfile=cfile, dfile=dfile, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except (py_compile.PyCompileError, SyntaxError, ValueError):
        return 0  # not valid Python for this version (e.g. a py2 test fixture): ship the source only
    if cache:
        os.makedirs(os.path.dirname(stored), exist_ok=True)
        temporary = "%s.%d.tmp" % (stored, os.getpid())
        with open(cfile, "rb") as source, open(temporary, "wb") as target:
            target.write(source.read())
        os.replace(temporary, stored)
    return 1


def main():
    misses, hits = [], 0
    for path, dfile in sources():
        stored = cached_path(path, dfile) if cache else ""
        if stored and os.path.exists(stored):
            cfile = importlib.util.cache_from_source(path)
            os.makedirs(os.path.dirname(cfile), exist_ok=True)
            with open(stored, "rb") as source, open(cfile, "wb") as target:
                target.write(source.read())
            hits += 1
        else:
            misses.append((path, dfile, stored))
    compiled = 0
    if len(misses) > 50:
        with ProcessPoolExecutor() as pool:
            compiled = sum(pool.map(compile_one, misses, chunksize=16))
    else:
        compiled = sum(map(compile_one, misses))
    print(hits, compiled)


if __name__ == "__main__":
    main()
"""


@dataclass(frozen=True)
class BytecodeResult:
    compiled: bool
    interpreter: Optional[str]
    reason: str
    files: int = 0
    from_cache: int = 0


def cache_dir() -> Path:
    """``LAMBDA_LAYER_CACHE_DIR``, else the platform's user cache directory."""
    configured = os.environ.get("LAMBDA_LAYER_CACHE_DIR")
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lambda-layer-build"


def _interpreter_version(python: str) -> Optional[str]:
    """``sys.executable`` of ``python`` if it runs (a pyenv shim may not) and reports X.Y."""
    try:
        probe = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"],
            capture_output=True, text=True, check=False, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = probe.stdout.strip().splitlines()
    return "\n".join(lines) if probe.returncode == 0 and len(lines) == 2 else None


def _candidates(version: str) -> List[str]:
    """Where interpreters of ``version`` usually live: PATH, pyenv, the Windows launcher."""
    found = [path for path in (shutil.which(f"python{version}"),) if path]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    for pattern in (f"{version}.*/bin/python{version}", f"{version}/bin/python{version}", f"{version}.*/python.exe"):
        found += sorted(glob.glob(os.path.join(pyenv_root, "versions", pattern)), reverse=True)
    return found


def find_interpreter(target: LambdaTarget) -> Optional[str]:
    """An interpreter of the target's version: this one, one on PATH or in pyenv, or ``uv python find``."""
    if "%d.%d" % sys.version_info[:2] == target.python_version:
        return sys.executable
    for candidate in _candidates(target.python_version):
        probed = _interpreter_version(candidate)
        if probed and probed.split("\n")[0] == target.python_version:
            return probed.split("\n")[1]
    try:
        completed = run_tool(
            [find_uv(), "python", "find", "--no-project", target.python_version], what="uv python find",
            extra_env={"UV_PYTHON_DOWNLOADS": "never"}, check=False,
        )
    except Exception:
        return None
    found = completed.stdout.strip()
    return found if completed.returncode == 0 and found else None


def interpreter_version(target: LambdaTarget) -> Optional[str]:
    """The full X.Y.Z of the interpreter that would compile the layer's bytecode, or None without one.

    Part of the build fingerprint: a patch release may compile the same source to different
    bytes (compiler fixes), so a new 3.12.x is a reason to rebuild.
    """
    interpreter = find_interpreter(target)
    if interpreter is None:
        return None
    if interpreter == sys.executable:
        return platform.python_version()
    try:
        probe = subprocess.run(
            [interpreter, "-c", "import platform; print(platform.python_version())"],
            capture_output=True, text=True, check=False, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return probe.stdout.strip() if probe.returncode == 0 else None


def compile_bytecode(root: Path, target: LambdaTarget) -> BytecodeResult:
    """Compile every module under ``root``; hash seed fixed so the bytes are reproducible."""
    interpreter = find_interpreter(target)
    if interpreter is None:
        return BytecodeResult(False, None, f"no Python {target.python_version} interpreter found on this machine")
    cache = cache_dir() / "bytecode"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        cache_arg = str(cache)
    except OSError:
        cache_arg = ""  # an unwritable cache only costs speed
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"  # frozenset constants are marshalled in hash order
    completed = subprocess.run(
        [interpreter, "-s", "-c", _COMPILE_SCRIPT, str(root), LAYER_PYTHON_DIR, cache_arg],
        env=env, capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        return BytecodeResult(False, interpreter, f"{interpreter} could not compile: {completed.stderr.strip()[-300:]}")
    hits, compiled = (int(part) for part in completed.stdout.split()[-2:])
    return BytecodeResult(True, interpreter, f"compiled with {interpreter}", hits + compiled, hits)
