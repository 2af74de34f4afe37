"""The console script as a user meets it: the target and where it came from, the options shared
with Poetry (``-o``, ``--all-groups``, ``--version``, architecture aliases), output paths, and
finding the project from a sub-directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from shared_core.cli import main
from tests.helpers.layer_assertions import dists, names
from tests.helpers.wheelfactory import wheel_sha256

LAYER = Path("build/lambda/layer/layer.zip")
PINNED = "[project]\nname = 'demo'\nversion = '1'\nrequires-python = '{requires}'\n"


def run_cli(*args: str) -> int:
    return main(["build", *args])


@pytest.mark.in_process
def test_target_from_requires_python_is_said(core_env, make_project, capsys):
    project = make_project(PINNED.format(requires="==3.13.*"), requirements__txt="fake-native==1.0\n")
    assert run_cli("--project", str(project), "--no-compile") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "target: python3.13 x86_64 (the only Lambda runtime requires-python '==3.13.*' allows)"
    assert "python/fake_native/_speedups.cpython-313-x86_64-linux-gnu.so" in names(project / LAYER)


@pytest.mark.in_process
def test_excluded_target_is_refused_before_resolving(core_env, make_project, capsys):
    project = make_project(PINNED.format(requires=">=3.12"), requirements__txt="fake-native==1.0\n")
    assert run_cli("--project", str(project), "--python", "3.11") == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "error: python3.11 (--python) is excluded by the project's requires-python '>=3.12' (pyproject.toml), which "
        "allows python3.12, python3.13, python3.14 on Lambda. Choose one of those, or change requires-python.\n"
    )
    assert captured.out == "" and not (project / "build").exists()


@pytest.mark.in_process
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


@pytest.mark.in_process
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


@pytest.mark.in_process
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


@pytest.mark.in_process
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


@pytest.mark.in_process
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


@pytest.mark.in_process
def test_pip_project_without_pyproject_is_found_too(core_env, make_project, capsys, monkeypatch):
    project = make_project(requirements__txt="fake-b==1.0\n")
    (project / "lib").mkdir()
    monkeypatch.chdir(project / "lib")
    assert run_cli("--python", "3.12") == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(project / LAYER)
    assert os.listdir(project / "lib") == []


@pytest.mark.in_process
def test_settings_a_source_cannot_honour_are_warned(core_env, make_project, capsys):
    project = make_project("[tool.lambda-layer]\nwithout-groups = ['dev']\n", requirements__txt="fake-b==1.0\n")
    assert run_cli("--project", str(project), "--python", "3.12", "-E", "speed") == 0
    assert capsys.readouterr().err == (
        "warning: Field `tool.lambda-layer.without-groups` does not apply to requirements.txt (only a poetry.lock or "
        "uv.lock records dependency groups); it is ignored.\n"
        "warning: --extras does not apply to requirements.txt (a requirements file has no extras); it is ignored.\n"
    )
    assert dists(project / LAYER) == {"fake-b"}


def _run_on_terminal(command: List[str], env: Dict[str, str], code: int = 0) -> str:
    """Run ``command`` with stdout and stderr on a pseudo-terminal, as a user's shell would; its output."""
    import pty

    reader, writer = pty.openpty()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=writer, stderr=writer, env=env)
    os.close(writer)
    chunks = []
    while True:
        try:
            data = os.read(reader, 1 << 16)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(reader)
    assert process.wait(timeout=300) == code, b"".join(chunks).decode()
    return b"".join(chunks).decode()


BAR = re.compile(r"\r\x1b\[2K(download|install|compile|zip) \[[#.]{30}\] (\d+)/(\d+)")
#: A bar not followed by a redraw or a clear: the next line would be printed after it.
LEFT_DRAWN = re.compile(BAR.pattern + r"(?![\d\r])")


@pytest.mark.subprocess
def test_progress_bars_on_a_terminal_only(offline_env, make_project, wheelhouse, tmp_path):
    # hash-pinned, so installed as written: the install (not a resolver before it) downloads all 4
    pins = {"fake-a": "fake_a-1.0", "fake-b": "fake_b-1.0", "six": "six-1.16.0", "fake-cli": "fake_cli-1.0"}
    project = make_project("[tool.lambda-layer]\npython-version = '3.12'\n", requirements__txt="".join(
        f"{name}=={stem.split('-')[1]} --hash=sha256:{wheel_sha256(wheelhouse, stem + '-py3-none-any.whl')}\n"
        for name, stem in pins.items()))
    offline_env = dict(offline_env, UV_CACHE_DIR=str(tmp_path / "uv-cache"))  # uv prepares (downloads) all 4
    command = [sys.executable, "-m", "shared_core.cli", "build", "--project", str(project), "--force"]
    shown = _run_on_terminal(command, offline_env)
    bars = BAR.findall(shown)
    assert [stage for stage in dict.fromkeys(stage for stage, _, _ in bars)] == ["download", "install", "compile", "zip"]
    files = len(names(project / LAYER))
    pycs = len([name for name in names(project / LAYER) if name.endswith(".pyc")])
    finals = {stage: (done, total) for stage, done, total in bars if done == total}
    assert finals == {"download": ("4", "4"), "install": ("4", "4"), "compile": (str(pycs), str(pycs)),
                      "zip": (str(files), str(files))}
    assert shown.rstrip().splitlines()[-1] == str(project / LAYER)
    assert LEFT_DRAWN.search(shown) is None  # each bar cleared its line

    piped = subprocess.run(command, env=offline_env, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""
    assert "\r" not in piped.stdout and "\x1b" not in piped.stdout
    # the same lines as on the terminal, without the bars (timings and cache hits aside)
    assert [line.split(":")[0] for line in piped.stdout.splitlines()] == [
        line.split(":")[0] for line in BAR.sub("", shown).replace("\x1b[2K", "").replace("\r", "").splitlines()]

    assert _run_on_terminal([*command, "-q"], offline_env) == ""


@pytest.mark.subprocess
def test_installer_failure_on_a_terminal_reads_as_off_one(offline_env, make_project):
    """uv runs on a pseudo-terminal for its counts: its colours and redraws never reach the message,
    and the bar is cleared before the error."""
    project = make_project("[tool.lambda-layer]\npython-version = '3.12'\n",
                           requirements__txt="fake-b==1.0 --hash=sha256:" + "0" * 64 + "\n")
    command = [sys.executable, "-m", "shared_core.cli", "build", "--project", str(project)]
    shown = _run_on_terminal(command, offline_env, code=1)
    assert BAR.search(shown) is not None and LEFT_DRAWN.search(shown) is None
    piped = subprocess.run(command, env=offline_env, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 1
    assert BAR.sub("", shown).replace("\r\x1b[2K", "").replace("\r\n", "\n") == piped.stdout + piped.stderr
    lines = piped.stderr.splitlines()
    assert lines[:2] == ["error: uv pip install failed for fake-b==1.0 (exit 1):", "  error: Failed to download `fake-b==1.0`"]
    assert lines[2].endswith(": Hash mismatch for `fake-b==1.0`")  # uv's "cause:" (or "Caused by:" before 0.9)
