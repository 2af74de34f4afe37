"""Our output stays out of the project's own artifacts: after a layer build, git sees nothing new,
and ``uv build``, ``poetry build`` and ``hatchling`` (sdist and wheel) ship the same files as
before it. Hatchling reads only the project's top-level .gitignore, so there the Hatch builder
says so (truthfully: the test shows the leak) and the documented one-line fix holds."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from shared_core.cli import main
from shared_core.support.toolchain import find_uv

PROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["fake-a"]

[build-system]
{backend}

[tool.lambda-layer]
python-version = "3.12"
"""
UV_BUILD = 'requires = ["uv_build>=0.8"]\nbuild-backend = "uv_build"'
POETRY_CORE = 'requires = ["poetry-core>=2.0"]\nbuild-backend = "poetry.core.masonry.api"'
HATCHLING = 'requires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[tool.hatch.build.targets.lambda-layer]'


def artifact_files(directory: Path) -> Dict[str, List[str]]:
    """{artifact file name: the sorted member names} of every sdist and wheel in ``directory``."""
    found: Dict[str, List[str]] = {}
    for path in sorted(directory.iterdir()):
        if path.name.endswith(".tar.gz"):
            with tarfile.open(path) as archive:
                found[path.name] = sorted(member.name for member in archive.getmembers() if member.isfile())
        elif path.suffix == ".whl":
            with zipfile.ZipFile(path) as archive:
                found[path.name] = sorted(archive.namelist())
    assert len(found) == 2, found  # an sdist and a wheel
    return found


def run(command: Sequence[str], cwd: Path, env: Dict[str, str]) -> str:
    completed = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stderr


def write(root: Path, name: str, backend: str, module: str) -> Path:
    (root / module).mkdir(parents=True)
    (root / module / "__init__.py").write_text("VALUE = 1\n")
    (root / "pyproject.toml").write_text(PROJECT.format(name=name, backend=backend))
    return root


@pytest.mark.in_process
def test_uv_build_and_git_unchanged_by_a_layer_build(core_env, tmp_path):
    root = write(tmp_path / "uvproj", "uv-demo", UV_BUILD, "src/uv_demo")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    run([*git, "init", "-q"], root, core_env)
    run([*git, "add", "-A"], root, core_env)
    run([*git, "commit", "-q", "-m", "start"], root, core_env)
    run([find_uv(), "build", "-q", "-o", str(tmp_path / "before")], root, core_env)

    assert main(["build", "--project", str(root)]) == 0
    assert (root / "build/lambda/layer/.gitignore").read_text() == (
        "# Created by lambda-layer-build: everything here is build output.\n*\n")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, env=core_env,
                            capture_output=True, text=True, check=True)
    assert status.stdout == ""
    run([find_uv(), "build", "-q", "-o", str(tmp_path / "after")], root, core_env)
    assert artifact_files(tmp_path / "after") == artifact_files(tmp_path / "before")


@pytest.mark.subprocess
def test_poetry_build_unchanged_by_a_layer_build(core_env, tmp_path):
    root = write(tmp_path / "poetryproj", "poetry-demo", POETRY_CORE, "poetry_demo")
    run([sys.executable, "-m", "poetry", "build", "-q", "-o", str(tmp_path / "before")], root, core_env)
    # no poetry.lock: resolving [project.dependencies] without it is asked for by name (--tool hatch)
    assert main(["build", "--project", str(root), "--tool", "hatch"]) == 0
    run([sys.executable, "-m", "poetry", "build", "-q", "-o", str(tmp_path / "after")], root, core_env)
    assert artifact_files(tmp_path / "after") == artifact_files(tmp_path / "before")


@pytest.mark.subprocess
def test_hatchling_reads_only_the_top_level_gitignore_and_the_builder_says_so(core_env, tmp_path):
    root = write(tmp_path / "hatchproj", "hatch-demo", HATCHLING, "hatch_demo")
    hatchling = [sys.executable, "-m", "hatchling", "build"]
    run([*hatchling, "-t", "sdist", "-t", "wheel", "-d", str(tmp_path / "before")], root, core_env)
    before = artifact_files(tmp_path / "before")

    err = run([*hatchling, "-t", "lambda-layer"], root, core_env)
    run([*hatchling, "-t", "sdist", "-t", "wheel", "-d", str(tmp_path / "leaked")], root, core_env)
    leaked = artifact_files(tmp_path / "leaked")
    sdist = "hatch_demo-0.1.0.tar.gz"
    extra = sorted(set(leaked[sdist]) - set(before[sdist]))
    assert extra and all(name.startswith("hatch_demo-0.1.0/build/lambda/layer/") for name in extra)
    wheel = "hatch_demo-0.1.0-py3-none-any.whl"
    assert leaked[wheel] == before[wheel]  # the wheel ships the package only
    assert (f"warning: `hatch build` would put {len(extra)} file(s) of the layer build into the sdist (e.g. "
            "build/lambda/layer/layer.zip): Hatchling reads only the project's top-level .gitignore, not the one this "
            "builder writes into build/lambda/layer/. Add `/build/` to .gitignore, or `exclude = [\"/build\"]` to "
            "[tool.hatch.build.targets.sdist].\n") in err

    (root / ".gitignore").write_text("/build/\n")  # the one-line fix the warning gives
    err = run([*hatchling, "-t", "lambda-layer"], root, core_env)
    assert "would put" not in err
    run([*hatchling, "-t", "sdist", "-t", "wheel", "-d", str(tmp_path / "fixed")], root, core_env)
    fixed = artifact_files(tmp_path / "fixed")
    assert fixed[sdist] == sorted([*before[sdist], "hatch_demo-0.1.0/.gitignore"]) and fixed[wheel] == before[wheel]
