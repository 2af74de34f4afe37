"""The same layer from any machine: two installs of the tool at different paths, run with different
HOME, TMPDIR, umask, caches and working directories on two copies of one project, write the same
bytes, zip and manifest, for the layer and for the function; and every RECORD in the layer describes exactly the files the layer holds."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from shared_core.support.toolchain import find_uv
from tests.helpers.layer_assertions import names, record_check

RUNNING = "%d.%d" % sys.version_info[:2]
PROJECT = f"""\
[project]
name = "same-everywhere"
version = "1.0"
requires-python = ">=3.9"

[tool.lambda-layer]
python-version = "{RUNNING}"
architecture = "arm64"
"""
# a console script (its shebang would name the machine), a native module, a top-level module,
# a package with tests, dependencies between distributions
REQUIREMENTS = "fake-a==1.0\nfake-b==1.0\nfake-cli==1.0\nfake-native==1.0\nsix==1.16.0\nfake-with-tests==1.0\npython-dateutil==2.9.0\n"


@pytest.fixture(scope="module")
def two_installs(tmp_path_factory: pytest.TempPathFactory, plugin_wheel: Path, offline_env: Dict[str, str],
                 seed_wheels: Path) -> List[Path]:
    """Two virtualenvs at different paths, each with lambda-layer-build installed from its wheel."""
    installs = []
    for name in ("first-install", "somewhere/else/second-install"):
        venv = tmp_path_factory.mktemp("tools") / name
        env = dict(offline_env, UV_FIND_LINKS=f"{plugin_wheel.parent},{seed_wheels}")
        subprocess.run([find_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)],
                       env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([find_uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "lambda-layer-build"],
                       env=env, check=True, capture_output=True, timeout=120)
        installs.append(venv / "bin" / "lambda-layer")
    return installs


def _build_elsewhere(tool: Path, project: Path, cwd: Path, home: Path, umask: int, env: Dict[str, str]) -> str:
    """The sha256 of the layer zip, its manifest, the function zip and its manifest, from builds in ``project``
    with this HOME, cwd and umask."""
    for directory in (cwd, home / "tmp", home / "cache"):
        directory.mkdir(parents=True, exist_ok=True)
    run_env = dict(env, HOME=str(home), TMPDIR=str(home / "tmp"), LAMBDA_LAYER_CACHE_DIR=str(home / "cache"),
                   UV_CACHE_DIR=str(home / "uv-cache"))
    completed = subprocess.run(
        [str(tool), "build", "--project", str(project)], cwd=cwd, env=run_env, capture_output=True, text=True,
        timeout=300, preexec_fn=lambda: os.umask(umask),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    layer = project / "build/lambda/layer/layer.zip"
    assert completed.stdout.splitlines()[-1] == str(layer)
    function = subprocess.run(
        [str(tool), "function", "--project", str(project)], cwd=cwd, env=run_env, capture_output=True, text=True,
        timeout=300, preexec_fn=lambda: os.umask(umask),
    )
    assert function.returncode == 0, function.stdout + function.stderr
    function_zip = project / "build/lambda/function/function.zip"
    return " ".join(hashlib.sha256(path.read_bytes()).hexdigest() for path in (
        layer, layer.with_name("layer.zip.json"), function_zip, function_zip.with_name("function.zip.json")))


@pytest.mark.subprocess
def test_same_bytes_from_two_installs_and_machines(two_installs, offline_env, tmp_path):
    digests = []
    for index, (tool, umask) in enumerate(zip(two_installs, (0o022, 0o077))):
        project = tmp_path / f"checkout-{index}" / ("deeper/" * index) / "project"
        project.mkdir(parents=True)
        (project / "pyproject.toml").write_text(PROJECT)
        (project / "requirements.txt").write_text(REQUIREMENTS)
        (project / "handler.py").write_text("import six\n\n\ndef handler(event, context):\n    return six.__name__\n")
        cwd = project / "src" if index else tmp_path / "elsewhere"
        digests.append(_build_elsewhere(tool, project, cwd, tmp_path / f"home-{index}", umask, offline_env))
    assert digests[0] == digests[1]

    layer = tmp_path / "checkout-0" / "project" / "build/lambda/layer/layer.zip"
    wrong, listed = record_check(layer)
    assert wrong == []
    # every file of the layer is in exactly one RECORD: nothing unowned, nothing claimed twice
    assert {name: count for name, count in listed.items() if count != 1} == {}
    files = names(layer)
    assert not [name for name in files if name.startswith("python/bin/") or name.endswith("uv_cache.json")]
    assert f"python/fake_cli/__pycache__/__init__.cpython-{RUNNING.replace('.', '')}.pyc" in files


@pytest.mark.in_process
def test_records_of_a_pip_install_are_rewritten_too(core_env, make_project):
    from shared_core.cli import main

    project = make_project(PROJECT, requirements__txt=REQUIREMENTS)
    assert main(["build", "--project", str(project), "--installer", "pip"]) == 0
    wrong, listed = record_check(project / "build/lambda/layer/layer.zip")
    assert wrong == [] and {name: count for name, count in listed.items() if count != 1} == {}
    shutil.rmtree(project / "build")
