"""Builds the end-to-end modules share: ``lambda-layer build`` in process, the target most of them pin,
a Poetry project with a hand-written lock (no ``poetry lock`` run needed), and one locked by the real
``poetry lock`` against the loopback index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping, Tuple

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


def indexed_poetry_project(name: str, dependency: str, index_url: str, more: str = "") -> str:
    """A Poetry project's pyproject.toml: ``dependency`` from the loopback index (Poetry has no find-links
    source), python3.12, then ``more`` (e.g. a publish table)."""
    return (f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.9"\ndependencies = ["{dependency}"]\n\n'
            f'[[tool.poetry.source]]\nname = "fixture"\nurl = "{index_url}"\npriority = "primary"\n\n'
            f'[tool.lambda-layer]\npython-version = "3.12"\n{more}')


def locked_poetry_project(root: Path, pyproject: str, offline_env: Mapping[str, str]) -> Path:
    """``root`` (made) with ``pyproject`` and the poetry.lock the real ``poetry lock`` writes from the index
    (the only thing here that needs the network on)."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject)
    env = {key: value for key, value in offline_env.items() if key not in ("UV_OFFLINE", "PIP_NO_INDEX")}
    env.update(POETRY_VIRTUALENVS_CREATE="false", POETRY_KEYRING_ENABLED="false")
    locked = subprocess.run([sys.executable, "-m", "poetry", "lock"], cwd=root, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert locked.returncode == 0, locked.stdout + locked.stderr
    return root
