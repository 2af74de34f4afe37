"""The function's handler, imported the way Lambda imports it, where this machine can run the target.

The function's code is what the zip will hold (``/var/task``, first on ``sys.path``), then each
layer's ``python/`` (``/opt/python``, and ``python/lib/pythonX.Y/site-packages``), in the order
given, in a clean interpreter of the target's Python (``-I -S -B``: no site-packages, no user paths,
nothing written). ``module.attribute`` must import and be callable. It runs the module's import-time
code on this machine, with a bare environment, as the import check of package tests does.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from shared_core.errors import LayerError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pack.import_check import IMPORT_TIMEOUT_SECONDS, KEPT_VARIABLES, host_cannot_run

#: Runs under the target interpreter (3.9+), standard library only. argv: handler, then the sys.path entries.
_HANDLER_SCRIPT = r"""
import importlib, json, sys, traceback
handler, paths = sys.argv[1], sys.argv[2:]
sys.path[:0] = paths
module, _, attribute = handler.rpartition(".")
try:
    found = getattr(importlib.import_module(module), attribute)
    result = {"ok": callable(found), "kind": type(found).__name__}
except BaseException as error:
    result = {"ok": False, "error": "".join(traceback.format_exception_only(type(error), error)).strip()}
sys.stdout.write("\n@@lambda-handler-check@@" + json.dumps(result) + "\n")
"""
_MARKER = "@@lambda-handler-check@@"


class HandlerError(LayerError):
    """The handler does not import, or is not callable, with the function and its layers."""


@dataclass(frozen=True)
class HandlerCheck:
    ran: bool
    reason: str  # why it did not run, or the interpreter it ran with


def _layer_paths(zips: Sequence[Path], into: Path, target: LambdaTarget) -> List[str]:
    """Each layer zip unpacked under ``into`` (``/opt`` stand-ins): its ``python/`` and site-packages."""
    paths: List[str] = []
    for index, layer in enumerate(zips):
        opt = into / f"opt-{index}"
        with zipfile.ZipFile(layer) as archive:
            archive.extractall(opt)
        paths += [str(opt / "python"), str(opt / "python" / "lib" / f"python{target.python_version}" / "site-packages")]
    return paths


def check_handler(handler: str, code: Path, layer_zips: Sequence[Path], target: LambdaTarget,
                  interpreter: Optional[str], timeout: float = IMPORT_TIMEOUT_SECONDS) -> HandlerCheck:
    """Import ``handler`` from ``code`` (the function's staged tree) with ``layer_zips`` behind it;
    a HandlerError when it fails, or the reason it could not run."""
    reason = host_cannot_run(target)
    if reason is not None:
        return HandlerCheck(False, reason)
    if interpreter is None:
        return HandlerCheck(False, f"no Python {target.python_version} interpreter found on this machine")
    with tempfile.TemporaryDirectory(prefix="lambda-handler-check-") as scratch:
        paths = [str(code), *_layer_paths(layer_zips, Path(scratch), target)]
        try:
            completed = subprocess.run(
                [interpreter, "-I", "-S", "-B", "-c", _HANDLER_SCRIPT, handler, *paths], capture_output=True, text=True,
                check=False, timeout=timeout, cwd=scratch,
                env={key: os.environ[key] for key in KEPT_VARIABLES if key in os.environ},
            )
        except subprocess.TimeoutExpired:
            return HandlerCheck(False, f"importing {handler.rpartition('.')[0]} did not finish within {timeout:g} s")
    _, marker, said = completed.stdout.rpartition(_MARKER)
    if not marker:
        detail = (completed.stderr.strip().splitlines() or [f"exit status {completed.returncode}"])[-1]
        raise HandlerError(f"The handler {handler} could not be checked: the interpreter stopped ({detail}).")
    result = json.loads(said)
    if "error" in result:
        raise HandlerError(
            f"The handler {handler} does not import with the function and its layers on {target.describe()}: "
            f"{result['error']}. Fix the module (or `handler` in [tool.lambda-layer.function]); a dependency it "
            "needs belongs in the layer. Nothing was written."
        )
    if not result["ok"]:
        raise HandlerError(f"The handler {handler} is a {result['kind']}, not a function Lambda can call. Point "
                           "`handler` at a function taking (event, context). Nothing was written.")
    return HandlerCheck(True, interpreter)
