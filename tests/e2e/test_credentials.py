"""Index credentials: masked in every entry point's output when the installer prints them.

uv itself hides URL passwords in the errors it writes, except where it echoes a value it cannot
parse: an index URL with an invalid port is printed as given, password and all. Each entry point
is driven into that failure with the user's own ``UV_DEFAULT_INDEX``/``UV_INDEX`` (Poetry's
sources with Poetry's credentials: ``test_poetry_plugin.py``, which also records uv's argv and
environment).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared_core.cli import main
from tests.helpers.wheelfactory import wheel_sha256

SECRET = "t0ken-Xy7-cred"
BROKEN_INDEX = f"http://ci-bot:{SECRET}@127.0.0.1:99999/simple/"
MASKED_INDEX = "http://ci-bot:****@127.0.0.1:99999/simple/"
def hash_pinned(wheelhouse: Path) -> str:
    """fake-a and fake-b with their hashes: installed as written, so the installer (not a resolver) meets the index."""
    return "".join(f"{name}==1.0 --hash=sha256:{wheel_sha256(wheelhouse, name.replace('-', '_') + '-1.0-py3-none-any.whl')}\n"
                   for name in ("fake-a", "fake-b"))


def verbose_hint(what: str) -> str:
    """The last line of an installer failure: its whole output (clap's usage tail included) is for -v."""
    return f"With -v, the whole output of {what} is shown.\n"


@pytest.mark.in_process
def test_console_script_masks_the_installers_echo_of_an_index_url(core_env, make_project, wheelhouse, monkeypatch, capsys):
    monkeypatch.setenv("UV_DEFAULT_INDEX", BROKEN_INDEX)
    project = make_project(requirements__txt=hash_pinned(wheelhouse))
    assert main(["build", "--project", str(project), "--python", "3.12", "--no-compile"]) == 1
    assert capsys.readouterr().err == (
        "error: uv pip install failed (exit 2):\n"
        f"  error: invalid value '{MASKED_INDEX}' for '--default-index <DEFAULT_INDEX>': invalid port number\n"
        + verbose_hint("uv pip install")
    )


@pytest.mark.in_process
def test_console_script_masks_the_resolvers_echo_of_an_index_url(core_env, make_project, monkeypatch, capsys):
    monkeypatch.setenv("UV_INDEX", BROKEN_INDEX)
    project = make_project("[project]\nname = 'x'\nversion = '1'\ndependencies = ['fake-a']\n")
    assert main(["build", "--project", str(project), "--tool", "hatch", "--python", "3.12", "--no-compile"]) == 1
    assert capsys.readouterr().err == (
        "error: uv pip compile ([project.dependencies]) failed (exit 2):\n"
        f"  error: invalid value '{MASKED_INDEX}' for '--index <INDEX>': invalid port number\n"
        + verbose_hint("uv pip compile ([project.dependencies])")
    )


@pytest.mark.subprocess
def test_hatch_builder_masks_the_resolvers_echo_of_an_index_url(offline_env, tmp_path):
    root = tmp_path / "hatch"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "demo"\nversion = "1"\ndependencies = ["fake-a"]\n'
        '[tool.hatch.build.targets.lambda-layer]\npython-version = "3.12"\n'
    )
    completed = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "lambda-layer"],
        cwd=root, env=dict(offline_env, UV_DEFAULT_INDEX=BROKEN_INDEX), capture_output=True, text=True, timeout=120,
    )
    assert (completed.returncode, completed.stdout) == (1, "")
    assert completed.stderr == (
        "Building Lambda layer from [project.dependencies]\n"
        "target: python3.12 x86_64 (python-version from [tool.hatch.build.targets.lambda-layer])\n"
        "uv pip compile ([project.dependencies]) failed (exit 2):\n"
        f"  error: invalid value '{MASKED_INDEX}' for '--default-index <DEFAULT_INDEX>': invalid port number\n"
        + verbose_hint("uv pip compile ([project.dependencies])")
    )
    assert not Path(root / "build/lambda/layer/layer.zip").exists()


# -- with -v: the installer's whole output, masked too ---------------------------------------

#: uv's whole output for that value (clap's usage tail), as -v shows it before the error line.
VERBOSE_DETAILS = (
    f"error: invalid value '{MASKED_INDEX}' for '--default-index <DEFAULT_INDEX>': invalid port number\n\n"
    "For more information, try '--help'.\n"
)


@pytest.mark.in_process
def test_console_script_masks_the_installers_whole_output_with_verbose(core_env, make_project, wheelhouse, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv("UV_DEFAULT_INDEX", BROKEN_INDEX)
    project = make_project(requirements__txt=hash_pinned(wheelhouse))
    assert main(["build", "--project", str(project), "--python", "3.12", "--no-compile", "-v"]) == 1
    out, err = capsys.readouterr()
    assert err == VERBOSE_DETAILS + (
        "error: uv pip install failed (exit 2):\n"
        f"  error: invalid value '{MASKED_INDEX}' for '--default-index <DEFAULT_INDEX>': invalid port number\n"
        + verbose_hint("uv pip install")
    )
    assert SECRET not in out + err


@pytest.mark.subprocess
def test_hatch_builder_masks_the_resolvers_whole_output_with_verbose(offline_env, tmp_path):
    """Hatch's -v reaches hatchling as HATCH_VERBOSE (what `hatch -v build` sets)."""
    root = tmp_path / "hatch"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "demo"\nversion = "1"\ndependencies = ["fake-a"]\n'
        '[tool.hatch.build.targets.lambda-layer]\npython-version = "3.12"\n'
    )
    completed = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "lambda-layer"],
        cwd=root, env=dict(offline_env, UV_DEFAULT_INDEX=BROKEN_INDEX, HATCH_VERBOSE="1"), capture_output=True,
        text=True, timeout=120,
    )
    assert (completed.returncode, completed.stdout) == (1, "")
    assert VERBOSE_DETAILS.rstrip("\n") + "\n" in completed.stderr
    assert completed.stderr.endswith(
        "uv pip compile ([project.dependencies]) failed (exit 2):\n"
        f"  error: invalid value '{MASKED_INDEX}' for '--default-index <DEFAULT_INDEX>': invalid port number\n"
        + verbose_hint("uv pip compile ([project.dependencies])")
    )
    assert SECRET not in completed.stdout + completed.stderr
