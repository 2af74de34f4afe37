"""Prove at run time that leaving out package tests broke no import, where this machine can run the target.

The static scan (:mod:`.package_tests`) cannot see a computed ``importlib.import_module`` or an
extension module's imports. So when the host is Linux on the target's machine and has an
interpreter of the target's Python version, every top-level package of the layer is imported in
a clean interpreter (``-I -S``: no site-packages, no user paths, no ``PYTHON*`` variables; ``-B``:
the staged tree stays unwritten) whose
path starts with the staged tree and whose import system refuses the dropped test directories,
exactly as the layer will lack them. A package that fails is imported again with the tests in
place: failing both ways (``requests`` without the runtime's ``urllib3``, say) is not the drop's
doing; failing only without them is, and stops the build.

Importing runs the packages' import-time code on this machine, as the function will on Lambda; it
gets a bare environment (no index credentials or tokens from ours), only what an interpreter needs.

The check runs beside the zip's writing (:func:`start_import_check`): the packer waits for it only
before the zip replaces the previous one, and stops its interpreter if the build stops first.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import ContextManager, Dict, Iterable, List, Optional, Sequence, Tuple

from shared_core.lambda_runtime import LambdaTarget

#: Runs under the target interpreter (3.9+), standard library only. argv: tree, blocked, modules (JSON).
_IMPORT_SCRIPT = r"""
import importlib, json, sys

root, blocked, modules = sys.argv[1], tuple(json.loads(sys.argv[2])), json.loads(sys.argv[3])
sys.path.insert(0, root)


class DroppedTests:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in blocked):
            raise ModuleNotFoundError("No module named %r (a package test directory left out of the layer)" % name, name=name)
        return None


sys.meta_path.insert(0, DroppedTests)
failures = {}
for module in modules:
    try:
        importlib.import_module(module)
    except BaseException as error:
        failures[module] = "%s: %s" % (type(error).__name__, error)
sys.stdout.write("\n@@lambda-layer-import-check@@" + json.dumps(failures) + "\n")
"""
_MARKER = "@@lambda-layer-import-check@@"
#: The variables the import check's interpreter keeps: what locating libraries, temporary files and
#: the locale need, nothing that could carry a credential.
KEPT_VARIABLES = ("PATH", "HOME", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "LD_LIBRARY_PATH", "SYSTEMROOT")
#: Importing pandas + pyarrow takes about a second; a minute means something hangs.
IMPORT_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class ImportCheck:
    """The outcome: ``ran`` false with the reason, or the modules tried and how each failed."""

    ran: bool
    reason: str  # why it did not run, or the interpreter it ran with
    modules: Tuple[str, ...] = ()
    broken: Tuple[Tuple[str, str], ...] = ()  # (module, error): fails only without the tests
    failing_anyway: Tuple[Tuple[str, str], ...] = ()  # (module, error): fails with the tests too


def top_level_modules(relpaths: Iterable[str]) -> Tuple[str, ...]:
    """The importable top-level names of a layer: ``pkg/...`` holding Python or extension modules,
    ``mod.py`` and ``mod.cpython-312-x86_64-linux-gnu.so``; never ``*.dist-info`` or ``__pycache__``
    (a ``bin`` left after slimming is a package: the installer's scripts are gone by then)."""
    names = set()
    for relpath in relpaths:
        top, _, rest = relpath.partition("/")
        if not relpath.endswith((".py", ".so", ".pyd")):
            continue
        name = top.split(".", 1)[0] if not rest else top
        if name.isidentifier() and name != "__pycache__" and (rest or name != "__init__"):
            names.add(name)
    return tuple(sorted(names))


def host_cannot_run(target: LambdaTarget) -> Optional[str]:
    """Why this machine cannot load the target's extension modules, or None when it can."""
    system, machine = sys.platform, platform.machine().lower()
    if not system.startswith("linux") or machine not in (target.machine, target.architecture):
        return f"this machine is {platform.system()} {platform.machine()}, the target Linux {target.machine}"
    return None


#: Set for the check's interpreter: importing numpy starts no BLAS threads (one per core, spinning a
#: while) that an import never uses; 0.14 of the 0.58 CPU-seconds of importing pandas + pyarrow.
_SET_VARIABLES = (("OPENBLAS_NUM_THREADS", "1"),)


def check_environment() -> List[Tuple[str, str]]:
    """The variables the check's interpreter gets (part of what a reused result must match too)."""
    return [(key, os.environ[key]) for key in KEPT_VARIABLES if key in os.environ] + list(_SET_VARIABLES)


class RunningImportCheck:
    """An import check started on a thread of its own: :meth:`result` waits for it, :meth:`cancel`
    stops its interpreter (a failed or interrupted build leaves no process behind).

    Made with a ``done`` outcome, it is one that needed no interpreter (skipped, or reused)."""

    def __init__(self, root: Path, modules: Sequence[str], blocked: Sequence[str], interpreter: str,
                 timeout: float, done: Optional[ImportCheck] = None, slot: Optional[ContextManager[object]] = None) -> None:
        self._root, self._modules, self._blocked = root, tuple(modules), tuple(blocked)
        self._slot = slot
        self._interpreter, self._timeout = interpreter, timeout
        self._outcome = done
        self._error: Optional[BaseException] = None
        self._process: Optional["subprocess.Popen[str]"] = None
        self._cancelled = False
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        #: How long the interpreter runs took (0 for an outcome that needed none).
        self.seconds = 0.0
        if done is None:
            self._thread = threading.Thread(target=self._run, name="import-check", daemon=True)
            self._thread.start()

    @classmethod
    def finished(cls, outcome: ImportCheck) -> "RunningImportCheck":
        return cls(Path(), (), (), "", 0, done=outcome)

    def _run(self) -> None:
        started = time.monotonic()
        try:
            with self._slot if self._slot is not None else nullcontext():
                self._outcome = self._check()
        except BaseException as error:  # raised again by result(), in the build's thread
            self._error = error
        self.seconds = time.monotonic() - started

    def _check(self) -> ImportCheck:
        failed = self._failures(self._blocked, self._modules)
        anyway = self._failures((), sorted(failed)) if failed else {}
        if failed is None or anyway is None:
            return ImportCheck(False, f"the imports did not finish within {self._timeout:g} s with {self._interpreter}")
        return ImportCheck(
            ran=True,
            reason=self._interpreter,
            modules=self._modules,
            broken=tuple((module, failed[module]) for module in sorted(failed) if module not in anyway),
            failing_anyway=tuple((module, anyway[module]) for module in sorted(anyway)),
        )

    def _failures(self, blocked: Sequence[str], modules: Sequence[str]) -> Optional[Dict[str, str]]:
        """Import ``modules`` in a clean interpreter; ``{module: "Error: message"}`` for each that fails,
        None when the imports did not finish in time (something waits at import time) or were stopped."""
        command = [self._interpreter, "-I", "-S", "-B", "-c", _IMPORT_SCRIPT, str(self._root), json.dumps(list(blocked)),
                   json.dumps(list(modules))]
        with self._lock:
            if self._cancelled:
                return None
            process = self._process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(self._root),
                env=dict(check_environment()),
            )
        try:
            stdout, stderr = process.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return None
        if self._cancelled:
            return None
        _, marker, result = stdout.rpartition(_MARKER)
        if not marker:
            detail = (stderr.strip().splitlines() or [f"exit status {process.returncode}"])[-1]
            return {module: f"the interpreter stopped before reporting ({detail})" for module in modules}
        return json.loads(result)

    def result(self) -> ImportCheck:
        """The outcome, once the interpreter has finished."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._outcome is not None
        return self._outcome

    def cancel(self) -> None:
        """Stop the interpreter if it still runs, and wait for the thread (a no-op once finished)."""
        with self._lock:
            self._cancelled = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        if self._thread is not None:
            self._thread.join()


def start_import_check(
    root: Path, modules: Sequence[str], blocked: Sequence[str], target: LambdaTarget, interpreter: Optional[str],
    timeout: float = IMPORT_TIMEOUT_SECONDS, slot: Optional[ContextManager[object]] = None,
) -> RunningImportCheck:
    """Start importing every one of ``modules`` from ``root`` with the ``blocked`` dotted prefixes refused.

    ``interpreter``: the target-version interpreter the pipeline found once (None: there is none).
    Imports that do not finish within ``timeout`` seconds make the check not run, rather than fail.
    ``slot``: held while the interpreter runs (one of the cores the zip's compression shares).
    """
    reason = host_cannot_run(target)
    if reason is not None:
        return RunningImportCheck.finished(ImportCheck(False, reason))
    if interpreter is None:
        return RunningImportCheck.finished(ImportCheck(False, f"no Python {target.python_version} interpreter found on this machine"))
    return RunningImportCheck(root, modules, blocked, interpreter, timeout, slot=slot)


def check_imports(
    root: Path, modules: Sequence[str], blocked: Sequence[str], target: LambdaTarget, interpreter: Optional[str],
    timeout: float = IMPORT_TIMEOUT_SECONDS,
) -> ImportCheck:
    """:func:`start_import_check`, waited for."""
    running = start_import_check(root, modules, blocked, target, interpreter, timeout)
    try:
        return running.result()
    finally:
        running.cancel()

