"""Compile unchecked-hash ``.pyc`` (PEP 552) for the target Python so cold starts skip compiling.

Lambda's ``/opt`` is read-only, so without valid bytecode every cold start recompiles every
imported module. Timestamp ``.pyc`` would be stale under the zip's fixed timestamp, hence
unchecked-hash ones; the source path recorded is ``/opt/python/...``, where the file will be.
Compiled files are cached by (interpreter, recorded path, source bytes), so a rebuild copies
instead of compiling. A cache entry is only reused after it verifies (its sha256, then the PEP 552
header against this source and interpreter, a code object that unmarshals, the recorded path);
anything else is recompiled and the entry replaced. A cache that cannot be read or written costs
speed, never a .pyc. ``tests``/``test`` directories inside packages are not compiled: nothing
imports them on Lambda, and they would double their share of the layer.

Compiling with the target's interpreter also proves each module parses for the target: one that
does not (syntax of a newer Python, null bytes) is reported as ``invalid`` with the compiler's
reason, and the build refuses it unless ``allow-invalid-python`` says to ship it as source.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Tuple

from shared_core.lambda_runtime import LAYER_PYTHON_DIR, LambdaTarget
from shared_core.support.cache import cache_dir

# Runs under the *target* interpreter (any version 3.9+), so it only uses the standard library.
_COMPILE_SCRIPT = r"""
import hashlib, importlib.util, json, marshal, os, shutil, sys, types
from concurrent.futures import ProcessPoolExecutor

root, ddir, cache = sys.argv[1:4]
SKIP_DIRS = {"__pycache__", "tests", "test"}
SALT = (sys.version + "\0").encode() + importlib.util.MAGIC_NUMBER
UNCHECKED_HASH = (1).to_bytes(4, "little")  # PEP 552 flags: hash-based, source never checked
DIGEST = 32  # a cache entry is the .pyc followed by the sha256 of the .pyc
NOT_PYTHON = ("SyntaxError", "IndentationError", "TabError", "ValueError")  # not Python for this version


def not_python(error):
    # The compiler's reason, short: "SyntaxError: invalid syntax at line 3".
    line = getattr(error, "lineno", None)
    reason = getattr(error, "msg", None) or str(error) or type(error).__name__
    return "%s: %s" % (type(error).__name__, reason) + (" at line %d" % line if line else "")


def sources():
    for directory, dirs, files in os.walk(root):
        relative = os.path.relpath(directory, root)
        depth = 0 if relative == "." else relative.count(os.sep) + 1
        if depth == 0:
            # bin/ holds the installer's scripts (slimmed away), unless it is a package called bin
            scripts = () if os.path.isfile(os.path.join(root, "bin", "__init__.py")) else ("bin",)
            dirs[:] = sorted(d for d in dirs if d not in scripts and not d.endswith((".dist-info", ".data")))
        else:
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                yield path, ddir + "/" + os.path.relpath(path, root).replace(os.sep, "/")


def entry_path(source, dfile):
    key = hashlib.sha256(SALT + dfile.encode() + b"\0" + source).hexdigest()
    return os.path.join(cache, key[:2], key + ".pyc")


def pyc_bytes(source, dfile):
    # What py_compile writes for UNCHECKED_HASH, built in memory so it can be checked and cached.
    code = compile(source, dfile, "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + UNCHECKED_HASH + importlib.util.source_hash(source) + marshal.dumps(code)


def verified(entry, source, dfile):
    # The .pyc held by a cache entry, or None unless it is intact and compiled from exactly ``source``.
    pyc, digest = entry[:-DIGEST], entry[-DIGEST:]
    if len(entry) <= 16 + DIGEST or hashlib.sha256(pyc).digest() != digest:
        return None
    if pyc[:4] != importlib.util.MAGIC_NUMBER or pyc[4:8] != UNCHECKED_HASH:
        return None
    if pyc[8:16] != importlib.util.source_hash(source):
        return None
    try:
        code = marshal.loads(pyc[16:])
    except Exception:
        return None
    if not isinstance(code, types.CodeType) or code.co_filename != dfile:
        return None
    return pyc


def read_entry(stored):
    # (bytes or None, existed): a directory, unreadable or missing entry reads as None.
    try:
        with open(stored, "rb") as handle:
            return handle.read(), True
    except FileNotFoundError:
        return None, False
    except OSError:
        return None, os.path.lexists(stored)


def store(stored, pyc):
    # Replace the cache entry; a cache that cannot be written only costs speed. Returns an error or ''.
    temporary = "%s.%d.tmp" % (stored, os.getpid())
    try:
        os.makedirs(os.path.dirname(stored), exist_ok=True)
        if os.path.isdir(stored) and not os.path.islink(stored):
            shutil.rmtree(stored)
        with open(temporary, "wb") as handle:
            handle.write(pyc + hashlib.sha256(pyc).digest())
        os.replace(temporary, stored)
        return ""
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return "%s: %s" % (getattr(error, "filename", None) or stored, error.strerror or error)


def write_pyc(path, pyc):
    # A new file renamed into place, never a write through a .pyc the wheel shipped: the staged
    # tree is hard-linked to uv's cache, and writing through the link would change uv's copy too.
    cfile = importlib.util.cache_from_source(path)
    os.makedirs(os.path.dirname(cfile), exist_ok=True)
    temporary = "%s.%d.tmp" % (cfile, os.getpid())
    with open(temporary, "wb") as handle:
        handle.write(pyc)
    os.replace(temporary, cfile)


def reuse(job):
    # Write the cached .pyc for ``job`` if its entry verifies: (reused, entry existed).
    path, dfile = job
    if not cache:
        return False, False
    with open(path, "rb") as handle:
        source = handle.read()
    entry, existed = read_entry(entry_path(source, dfile))
    pyc = verified(entry, source, dfile) if entry is not None else None
    if pyc is None:
        return False, existed
    write_pyc(path, pyc)
    return True, True


def compile_one(job):
    # (outcome, relative path, detail): compiled, invalid (not Python for this version, and why) or failed.
    path, dfile = job
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    try:
        with open(path, "rb") as handle:
            source = handle.read()
        try:
            pyc = pyc_bytes(source, dfile)
        except Exception as error:
            if type(error).__name__ in NOT_PYTHON:
                return "invalid", relative, not_python(error)
            raise
        write_pyc(path, pyc)
        return "compiled", relative, store(entry_path(source, dfile), pyc) if cache else ""
    except Exception as error:
        return "failed", relative, "%s: %s" % (type(error).__name__, error)


def build_one(job):
    # (outcome, relative path, detail, a cache entry existed): reused from the cache, else compile_one's.
    try:
        reused, existed = reuse(job)
    except Exception:
        reused, existed = False, False  # compile_one reports what is wrong with the file
    if reused:
        return "reused", os.path.relpath(job[0], root).replace(os.sep, "/"), "", True
    return compile_one(job) + (existed,)


def build_all(jobs):
    # Every module on every core (cache hits too: each is read, hashed and verified), in job order.
    done = 0
    if len(jobs) > 50:
        try:
            with ProcessPoolExecutor() as pool:
                for result in pool.map(build_one, jobs, chunksize=8):
                    done += 1
                    yield result
            return
        except Exception:
            pass  # no worker processes here (a sandbox without /dev/shm): the rest in this one
    for job in jobs[done:]:
        yield build_one(job)


def main():
    jobs = list(sources())
    total = len(jobs)
    step = max(1, total // 100)
    done = 0

    def advance():
        nonlocal done
        done += 1
        if done % step == 0 or done == total:
            print("progress", done, total, flush=True)

    def written(relative):
        # the .pyc is final: the build may pack it from now on
        cfile = importlib.util.cache_from_source(os.path.join(root, relative))
        print("pyc", json.dumps(os.path.relpath(cfile, root).replace(os.sep, "/")), flush=True)

    counts = {"reused": 0, "compiled": 0, "damaged": 0}
    failed, invalid, cache_errors = [], [], []
    for outcome, relative, detail, existed in build_all(jobs):
        advance()
        if outcome == "reused":
            counts["reused"] += 1
            written(relative)
            continue
        counts["damaged"] += existed
        if outcome == "failed":
            failed.append([relative, detail])
        elif outcome == "invalid":
            invalid.append([relative, detail])
        else:
            counts[outcome] += 1
            written(relative)
        if outcome == "compiled" and detail:
            cache_errors.append(detail)
    print(json.dumps(dict(counts, failed=failed, invalid=sorted(invalid), cache_errors=len(cache_errors),
                          cache_error=cache_errors[0] if cache_errors else "")))


if __name__ == "__main__":
    main()
"""


#: The cache's sub-directory: entries are a .pyc followed by its sha256 (older layouts are not read).
CACHE_LAYOUT = "bytecode-v2"


@dataclass(frozen=True)
class BytecodeResult:
    """What the compile step did; ``complete`` says whether every module got its ``.pyc``."""

    compiled: bool
    interpreter: Optional[str]
    reason: str
    #: .pyc written into the staged tree: ``from_cache`` + ``fresh``.
    files: int = 0
    from_cache: int = 0
    fresh: int = 0
    #: Cache entries that failed verification (truncated, altered, swapped, a directory): recompiled.
    damaged: int = 0
    #: (relative path, the compiler's reason) for sources that are not Python for the target version:
    #: an error unless ``allow-invalid-python``, then shipped as source and the layer is incomplete.
    invalid: Tuple[Tuple[str, str], ...] = ()
    #: (relative path, why) for modules that are Python but got no .pyc: the layer is incomplete.
    failed: Tuple[Tuple[str, str], ...] = ()
    #: Why the cache could not be written (first of ``cache_errors``); costs speed, not completeness.
    cache_error: str = ""
    cache_errors: int = 0

    @property
    def complete(self) -> bool:
        return self.compiled and not self.failed and not self.invalid

    def shortfall(self) -> str:
        """Why the layer lacks bytecode, for the user; empty when it is complete."""
        if not self.compiled:
            return f"no bytecode: {self.reason}"
        missing = len(self.failed) + len(self.invalid)
        if self.failed:
            first, why = self.failed[0]
            return f"{missing} of {self.files + missing} modules have no .pyc (first: {first}: {why})"
        if self.invalid:
            first, why = self.invalid[0]
            return (f"{missing} of {self.files + missing} modules are not valid Python for the target and ship as "
                    f"source only (first: {first}: {why})")
        return ""














def _last_line(output: str) -> str:
    """The error itself, not the stack above it (a warning is one paragraph)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def compile_bytecode(
    root: Path, target: LambdaTarget, interpreter: Optional[str],
    progress: Optional[Callable[[str, int, int], None]] = None,
    written: Optional[Callable[[str], None]] = None,
) -> BytecodeResult:
    """Compile every module under ``root`` with ``interpreter`` (the target's version, found once by
    the pipeline; None: there is none); hash seed fixed so the bytes are reproducible.

    ``progress`` receives ``("compile", done, total)`` as the target interpreter reports it;
    ``written`` the path (relative to ``root``) of each ``.pyc`` as soon as it is in place.
    """
    if interpreter is None:
        return BytecodeResult(False, None, f"no Python {target.python_version} interpreter found on this machine")
    cache = cache_dir() / CACHE_LAYOUT
    unusable = ""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        cache_arg = str(cache)
    except OSError as error:
        cache_arg, unusable = "", f"{cache}: {error.strerror or error}"  # only costs speed
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"  # frozenset constants are marshalled in hash order
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as errors:  # never blocks the child
        process = subprocess.Popen(
            [interpreter, "-s", "-c", _COMPILE_SCRIPT, str(root), LAYER_PYTHON_DIR, cache_arg],
            env=env, stdout=subprocess.PIPE, stderr=errors, text=True,
        )
        last = ""
        assert process.stdout is not None
        for line in process.stdout:  # "progress DONE TOTAL" and 'pyc "PATH"' lines, then the JSON report
            words = line.split()
            if len(words) == 3 and words[0] == "progress":
                if progress is not None:
                    progress("compile", int(words[1]), int(words[2]))
            elif words[:1] == ["pyc"]:
                if written is not None:
                    written(json.loads(line[len("pyc "):]))
            elif words:
                last = line
        returncode = process.wait()
        errors.seek(0)
        stderr = errors.read()
    try:
        report = json.loads(last)
    except ValueError:
        report = None
    if returncode != 0 or not isinstance(report, dict):
        return BytecodeResult(False, interpreter, f"{interpreter} could not compile: {_last_line(stderr)}")
    return BytecodeResult(
        True, interpreter, f"compiled with {interpreter}",
        files=report["reused"] + report["compiled"], from_cache=report["reused"], fresh=report["compiled"],
        damaged=report["damaged"], invalid=tuple((path, why) for path, why in report["invalid"]),
        failed=tuple((path, why) for path, why in report["failed"]),
        cache_error=unusable or report["cache_error"], cache_errors=report["cache_errors"] + bool(unusable),
    )
