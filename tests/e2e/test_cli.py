"""The console script as a user meets it: the target and where it came from, the options shared
with Poetry (``-o``, ``--all-groups``, ``--version``, architecture aliases), output paths, and
finding the project from a sub-directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from layer_assertions import dists, names

from shared_core.cli import main

LAYER = Path("build/lambda/layer/layer.zip")
PINNED = "[project]\nname = 'demo'\nversion = '1'\nrequires-python = '{requires}'\n"


def run_cli(*args: str) -> int:
    return main(["build", *args])


def test_target_from_requires_python_is_said(core_env, make_project, capsys):
    project = make_project(PINNED.format(requires="==3.13.*"), requirements__txt="fake-native==1.0\n")
    assert run_cli("--project", str(project), "--no-compile") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "target: python3.13 x86_64 (the only Lambda runtime requires-python '==3.13.*' allows)"
    assert "python/fake_native/_speedups.cpython-313-x86_64-linux-gnu.so" in names(project / LAYER)


def test_excluded_target_is_refused_before_resolving(core_env, make_project, capsys):
    project = make_project(PINNED.format(requires=">=3.12"), requirements__txt="fake-native==1.0\n")
    assert run_cli("--project", str(project), "--python", "3.11") == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "error: python3.11 (--python) is excluded by the project's requires-python '>=3.12' (pyproject.toml), which "
        "allows python3.12, python3.13, python3.14 on Lambda. Choose one of those, or change requires-python.\n"
    )
    assert captured.out == "" and not (project / "build").exists()


def test_config_target_and_deprecated_runtime(core_env, make_project, capsys):
    project = make_project("[tool.lambda-layer]\npython-version = '3.12'\narchitecture = 'aarch64'\n",
                           requirements__txt="fake-native==1.0\n")
    assert run_cli("--project", str(project), "--no-compile") == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "target: python3.12 arm64 (python-version from [tool.lambda-layer])"
    assert captured.err == ""
    assert run_cli("--project", str(project), "--no-compile", "--python", "3.9", "--arch", "amd64") == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "target: python3.9 x86_64 (--python)"
    assert captured.err == (
        "warning: python3.9 is a deprecated Lambda runtime (since 2025-12-15): AWS no longer patches it and will "
        "block creating, then updating, functions on it. Target a newer runtime (supported until later: python3.12, "
        "python3.13, python3.14).\n"
    )
    assert "python/fake_native/_speedups.cpython-39-x86_64-linux-gnu.so" in names(project / LAYER)


def test_version_and_architecture_aliases(core_env, make_project, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out == "lambda-layer-build 0.1.0\n"
    project = make_project(requirements__txt="fake-native==1.0\n")
    assert run_cli("--project", str(project), "--python", "3.12", "--arch", "aarch64", "--no-compile") == 0
    assert "python/fake_native/_speedups.cpython-312-aarch64-linux-gnu.so" in names(project / LAYER)
    assert run_cli("--project", str(project), "--arch", "sparc") == 1
    assert capsys.readouterr().err == (
        "error: --arch must be a Lambda architecture, got 'sparc'. Supported: x86_64, arm64 (aliases: aarch64, amd64, x86-64).\n"
    )


@pytest.mark.parametrize("output, expected", [
    ("out/", "out/layer.zip"),            # a path ending in / is a directory
    ("existing", "existing/layer.zip"),   # an existing directory
    ("new/sub/mine.zip", "new/sub/mine.zip"),  # missing parents are created
])
def test_output_paths(core_env, make_project, capsys, output, expected):
    project = make_project(requirements__txt="fake-b==1.0\n")
    (project / "existing").mkdir()
    assert run_cli("--project", str(project), "--python", "3.12", "-o", output) == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(project / expected)
    assert dists(project / expected) == {"fake-b"}
    assert not (project / LAYER).exists()


def test_unwritable_output_is_one_error(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-b==1.0\n", notes__txt="mine\n")
    assert run_cli("--project", str(project), "--python", "3.12", "--output", "notes.txt/layer.zip") == 1
    assert capsys.readouterr().err == (
        f"error: Cannot write the layer to {project / 'notes.txt/layer.zip'}: {project / 'notes.txt'} is a file, "
        "not a directory. Change --output.\n"
    )
    assert (project / "notes.txt").read_text() == "mine\n" and not (project / "build").exists()
    (project / "pyproject.toml").write_text("[tool.lambda-layer]\noutput = 'notes.txt/x.zip'\n")
    assert run_cli("--project", str(project), "--python", "3.12") == 1
    assert capsys.readouterr().err.endswith("is a file, not a directory. Change Field `tool.lambda-layer.output`.\n")


def test_project_is_found_from_a_subdirectory(core_env, make_project, capsys, monkeypatch):
    project = make_project("[tool.lambda-layer]\npython-version = '3.12'\n", requirements__txt="fake-b==1.0\n")
    (project / "src" / "app").mkdir(parents=True)
    monkeypatch.chdir(project / "src" / "app")
    assert run_cli() == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(project / LAYER)
    assert not (project / "src" / "app" / "build").exists()

    missing = project / "no-such-dir"
    assert run_cli("--project", str(missing)) == 1
    assert capsys.readouterr().err == (
        f"error: --project {missing}: no such file or directory. Pass the project's directory or its pyproject.toml.\n"
    )


def test_pip_project_without_pyproject_is_found_too(core_env, make_project, capsys, monkeypatch):
    project = make_project(requirements__txt="fake-b==1.0\n")
    (project / "lib").mkdir()
    monkeypatch.chdir(project / "lib")
    assert run_cli("--python", "3.12") == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(project / LAYER)
    assert os.listdir(project / "lib") == []


def test_settings_a_source_cannot_honour_are_warned(core_env, make_project, capsys):
    project = make_project("[tool.lambda-layer]\nwithout-groups = ['dev']\n", requirements__txt="fake-b==1.0\n")
    assert run_cli("--project", str(project), "--python", "3.12", "-E", "speed") == 0
    assert capsys.readouterr().err == (
        "warning: Field `tool.lambda-layer.without-groups` does not apply to requirements.txt (only a poetry.lock or "
        "uv.lock records dependency groups); it is ignored.\n"
        "warning: --extras does not apply to requirements.txt (a requirements file has no extras); it is ignored.\n"
    )
    assert dists(project / LAYER) == {"fake-b"}
