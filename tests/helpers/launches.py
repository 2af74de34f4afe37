"""What a test launched: every ``subprocess.Popen`` argv, and which of them are an entry point or a build tool.

The ``in_process`` / ``subprocess`` markers of the end-to-end tests say how a test runs the entry point
it checks; ``tests/conftest.py`` records what each test launched and holds the marker to it. An entry
point is ``lambda-layer``, ``poetry`` or ``hatch`` (as a program, or a ``lambda-layer`` script run by
a python), ``python -m`` of ``hatchling``, ``hatch``, ``poetry`` or ``shared_core``, or a ``python -c``
that runs ``shared_core.cli`` (the console script's own code, as some tests start it). uv, pip, git,
unzip and a ``python -c`` probe of a layer are tools the tests use, not entry points.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sequence

ENTRY_POINT_PROGRAMS = frozenset({"lambda-layer", "poetry", "hatch"})
ENTRY_POINT_MODULES = frozenset({"hatchling", "hatch", "poetry", "shared_core"})
#: What a test of the core alone must not run: the build tools, directly or as ``python -m``.
BUILD_TOOLS = frozenset({"uv", "pip", "pip3", "poetry", "hatch", "hatchling", "lambda-layer"})
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")
#: Interpreter options that take the next argument as their value.
_OPTIONS_WITH_VALUE = frozenset({"-W", "-X", "-Q"})


def _is_python(program: str) -> bool:
    return bool(_PYTHON.fullmatch(os.path.basename(program))) or program == sys.executable


def _interpreter_target(argv: Sequence[str]) -> Optional[tuple]:
    """What a python argv runs: ``("module", name)``, ``("code", text)``, ``("script", path)``, or None."""
    index = 1
    while index < len(argv):
        arg = argv[index]
        if arg == "-m" and index + 1 < len(argv):
            return ("module", argv[index + 1])
        if arg.startswith("-m") and len(arg) > 2:
            return ("module", arg[2:])
        if arg == "-c" and index + 1 < len(argv):
            return ("code", argv[index + 1])
        if arg in _OPTIONS_WITH_VALUE:
            index += 2
            continue
        if arg.startswith("-"):
            index += 1
            continue
        return ("script", arg)
    return None


def entry_point_of(argv: Sequence[str]) -> Optional[str]:
    """The entry point ``argv`` launches (``lambda-layer``, ``poetry``, ``python -m hatchling``, ...), or None."""
    if not argv:
        return None
    program = os.path.basename(argv[0])
    if program in ENTRY_POINT_PROGRAMS:
        return program
    if not _is_python(argv[0]):
        return None
    target = _interpreter_target(argv)
    if target is None:
        return None
    kind, value = target
    if kind == "module" and value.split(".")[0] in ENTRY_POINT_MODULES:
        return f"python -m {value}"
    if kind == "code" and "shared_core.cli" in value:
        return "python -c (shared_core.cli)"
    if kind == "script" and os.path.basename(value) == "lambda-layer":
        return "lambda-layer"
    return None


def build_tool_of(argv: Sequence[str]) -> Optional[str]:
    """The build tool or entry point ``argv`` runs (uv, pip, poetry, hatch, ... or ``python -m`` of one), or None."""
    if not argv:
        return None
    entry_point = entry_point_of(argv)
    if entry_point is not None:
        return entry_point
    program = os.path.basename(argv[0])
    if program in BUILD_TOOLS:
        return program
    target = _interpreter_target(argv) if _is_python(argv[0]) else None
    if target is not None and target[0] == "module" and target[1].split(".")[0] in BUILD_TOOLS:
        return f"python -m {target[1]}"
    return None


def _argv(args: Any, shell: bool) -> List[str]:
    if isinstance(args, (str, bytes, os.PathLike)):
        text = os.fsdecode(args)
        return shlex.split(text) if shell else [text]
    return [os.fsdecode(arg) for arg in args]


@contextmanager
def recording_launches() -> Iterator[List[List[str]]]:
    """Every argv given to ``subprocess.Popen`` (``run``, ``check_output``, ... all go through it) while
    the block runs, in order; the class itself is wrapped, so a module that imported ``Popen`` is seen too."""
    launched: List[List[str]] = []
    original = subprocess.Popen.__init__

    def recording_init(self: subprocess.Popen, *args: Any, **kwargs: Any) -> None:
        command = kwargs["args"] if "args" in kwargs else args[0]
        launched.append(_argv(command, bool(kwargs.get("shell"))))
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = recording_init  # type: ignore[method-assign]
    try:
        yield launched
    finally:
        subprocess.Popen.__init__ = original  # type: ignore[method-assign]
