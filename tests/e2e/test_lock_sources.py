"""Pins from each lock format through the core alone (console script), as a pip/uv user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared_core.cli import main
from shared_core.support.toolchain import find_uv
from tests.helpers.layer_assertions import dists

pytestmark = pytest.mark.in_process

PROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["fake-a", "fake-markers", "boto3"]

[project.optional-dependencies]
speed = ["fake-with-extra[speed]"]

[dependency-groups]
dev = ["fake-dev-tool"]
"""

POETRY_PROJECT = PROJECT + """
[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "fixture"
url = "{index_url}"
priority = "primary"
"""

UV_PROJECT = PROJECT + """
[tool.uv]
package = false
"""


def build(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), *args])


@pytest.fixture(scope="module")
def poetry_locked(tmp_path_factory, index_url, offline_env) -> Path:
    root = tmp_path_factory.mktemp("poetry-locked")
    (root / "pyproject.toml").write_text(POETRY_PROJECT.format(index_url=index_url))
    subprocess.run([sys.executable, "-m", "poetry", "lock"], cwd=root, env=offline_env, check=True, capture_output=True)
    return root


@pytest.fixture(scope="module")
def uv_locked(tmp_path_factory, offline_env) -> Path:
    root = tmp_path_factory.mktemp("uv-locked")
    (root / "pyproject.toml").write_text(UV_PROJECT)
    subprocess.run([find_uv(), "lock"], cwd=root, env=offline_env, check=True, capture_output=True)
    return root


def copy_of(project: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(project, tmp_path / "project"))


@pytest.fixture
def index_env(core_env, monkeypatch, index_url):
    """Installs from the lock's own source (the loopback index), so uv must be allowed to reach it."""
    monkeypatch.delenv("UV_OFFLINE")
    monkeypatch.delenv("UV_FIND_LINKS")
    return core_env


def test_poetry_lock_main_group_for_target(poetry_locked, tmp_path, index_env, capsys):
    project = copy_of(poetry_locked, tmp_path)
    assert build(project, "--python", "3.12", "--arch", "arm64") == 0
    layer = project / "build/lambda/layer/layer.zip"
    assert dists(layer) == {"fake-a", "fake-b", "fake-markers", "fake-linux-only", "fake-arm-only"}
    assert "excluded before install: boto3, botocore" in capsys.readouterr().out
    assert build(project, "--python", "3.11", "--with", "dev", "--all-extras", "--no-default-excludes") == 0
    assert dists(layer) == {"fake-a", "fake-b", "fake-markers", "fake-linux-only", "fake-old-python", "fake-dev-tool",
                            "fake-with-extra", "fake-extra-dep", "boto3", "botocore"}
    assert build(project, "--python", "3.12", "--all-groups") == 0
    assert dists(layer) == {"fake-a", "fake-b", "fake-markers", "fake-linux-only", "fake-dev-tool"}
    capsys.readouterr()
    assert build(project, "--exclude", "fake-a") == 0  # fake-b was only there for fake-a
    assert "excluded before install: boto3, botocore, fake-a (and fake-b, needed only by those)" in capsys.readouterr().out
    assert "fake-b" not in dists(layer)


def test_poetry_lock_stale_and_old_format(poetry_locked, tmp_path, index_env, capsys):
    project = copy_of(poetry_locked, tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"boto3"]', '"boto3", "six"]'))
    assert build(project) == 1
    assert "Run `poetry lock`" in capsys.readouterr().err
    pyproject.write_text(POETRY_PROJECT)  # (placeholder URL: only the lock version matters next)
    lock = project / "poetry.lock"
    lock.write_text(lock.read_text().replace('lock-version = "2.1"', 'lock-version = "2.0"'))
    assert build(project) == 1
    err = capsys.readouterr().err
    assert "lock-version 2.0" in err and "Traceback" not in err


def test_poetry_missing_lock(make_project, core_env, capsys):
    project = make_project("[tool.poetry]\nname='x'\nversion='1'\n")
    assert build(project, "--tool", "poetry") == 1
    assert "poetry.lock does not exist. Run `poetry lock`" in capsys.readouterr().err


def test_uv_lock_without_dev_group(uv_locked, tmp_path, core_env):
    project = copy_of(uv_locked, tmp_path)
    assert build(project, "--python", "3.12") == 0
    layer = project / "build/lambda/layer/layer.zip"
    assert dists(layer) == {"fake-a", "fake-b", "fake-markers", "fake-linux-only"}
    assert build(project, "--python", "3.12", "-E", "speed") == 0
    assert dists(layer) == {"fake-a", "fake-b", "fake-markers", "fake-linux-only", "fake-with-extra", "fake-extra-dep"}
    assert build(project, "--python", "3.12", "--with", "dev", "--all-extras") == 0
    assert dists(layer) == {"fake-a", "fake-b", "fake-markers", "fake-linux-only", "fake-with-extra", "fake-extra-dep",
                            "fake-dev-tool"}
    assert build(project, "--python", "3.12", "--only", "dev") == 0
    assert dists(layer) == {"fake-dev-tool"}
    assert build(project, "--python", "3.12", "--all-groups") == 0
    assert dists(layer) == {"fake-a", "fake-b", "fake-markers", "fake-linux-only", "fake-dev-tool"}
    assert build(project, "--python", "3.12", "--exclude", "fake-with-extra", "-E", "speed") == 0
    assert not {"fake-with-extra", "fake-extra-dep"} & dists(layer) and "fake-b" in dists(layer)


def test_uv_lock_stale(uv_locked, tmp_path, core_env, capsys):
    project = copy_of(uv_locked, tmp_path)
    assert build(project) == 0
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"boto3"]', '"boto3", "six"]'))
    assert build(project) == 1  # not "up to date": the lock is checked before the fingerprint
    err = capsys.readouterr().err
    assert "changed since uv.lock was last generated (six). Run `uv lock`" in err


def test_uv_lock_missing(make_project, core_env, capsys):
    project = make_project(UV_PROJECT)
    assert build(project, "--tool", "uv") == 1
    assert "Run `uv lock`" in capsys.readouterr().err


def test_project_dependencies_resolved_for_target(make_project, core_env):
    project = make_project(PROJECT)
    assert build(project, "--tool", "hatch", "--python", "3.12", "--arch", "arm64", "-E", "speed") == 0
    assert dists(project / "build/lambda/layer/layer.zip") == {
        "fake-a", "fake-b", "fake-markers", "fake-linux-only", "fake-arm-only", "fake-with-extra", "fake-extra-dep"}


def test_unknown_config_key_names_it(make_project, core_env, capsys):
    project = make_project("[tool.lambda-layer]\ncompresion-level = 9\n", requirements__txt="fake-b==1.0\n")
    assert build(project) == 1
    err = capsys.readouterr().err
    assert "Unknown field `tool.lambda-layer.compresion-level`" in err and "compression-level" in err


POETRY_PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["requests>=2"]

[project.optional-dependencies]
speed = ["orjson"]

[tool.poetry.group.dev.dependencies]
pytest = "*"
"""


def test_poetry_content_hash_matches_poetrys_own(tmp_path):
    """Poetry's locker is the reference: our hash must equal what `poetry lock` records."""
    from poetry.factory import Factory

    from shared_core.pins.poetry_lock import poetry_content_hash
    from shared_core.pipeline.project import read_pyproject

    (tmp_path / "pyproject.toml").write_text(POETRY_PYPROJECT)
    poetry = Factory().create_poetry(tmp_path)
    assert poetry_content_hash(read_pyproject(tmp_path / "pyproject.toml")) == poetry.locker._get_content_hash()
