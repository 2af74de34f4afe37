"""Builds the end-to-end modules share: ``lambda-layer build`` in process, the target most of them pin,
and a Poetry project with a hand-written lock (no ``poetry lock`` run needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Tuple

from shared_core.cli import main

LAYER = Path("build/lambda/layer/layer.zip")
#: The target of most builds here: a runtime AWS has not deprecated (so no warning joins the output
#: these tests compare exactly), with its interpreter on PATH or in pyenv for the bytecode.
VERSION = "3.12"


def run_cli(project: Path, *args: str) -> int:
    """``lambda-layer build`` in process, for the target ``args`` choose (by default the running interpreter)."""
    return main(["build", "--project", str(project), *args])


def pinned(args: Tuple[str, ...]) -> Tuple[str, ...]:
    """``args`` with ``--python VERSION`` unless they choose a target: the running interpreter may be
    a deprecated runtime, whose warning would join the output compared here."""
    return args if "--python" in args else ("--python", VERSION, *args)


def run_pinned_cli(project: Path, *args: str) -> int:
    """``lambda-layer build`` in process, for :data:`VERSION` unless ``args`` say otherwise."""
    return run_cli(project, *pinned(args))


POETRY_PROJECT = (
    '[project]\nname = "p"\nversion = "1"\nrequires-python = ">=3.9"\ndependencies = ["six"]\n'
    "[tool.poetry]\npackage-mode = false\n"
)
SIX = '[[package]]\nname = "six"\nversion = "1.16.0"\ngroups = ["main"]\n'


def poetry_lock(packages: str) -> Callable[[Path], bytes]:
    """A poetry.lock for POETRY_PROJECT holding ``packages``, fresh for the pyproject.toml beside it."""
    def write(root: Path) -> bytes:
        from shared_core.pins.poetry_lock import poetry_content_hash
        from shared_core.support.user_files import tomllib

        digest = poetry_content_hash(tomllib.loads((root / "pyproject.toml").read_text()))
        return f'{packages}\n[metadata]\nlock-version = "2.1"\npython-versions = ">=3.9"\ncontent-hash = "{digest}"\n'.encode()
    return write
