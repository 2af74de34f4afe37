"""Real failing installs (a wrong hash, a package that does not exist) with uv and with pip: the
message shows the installer's own reasons first and whole, names the package, holds no hash dump,
and ``-v`` adds the installer's whole output."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_core.cli import main

WRONG_HASH = "fake-b==1.0 --hash=sha256:" + "0" * 64 + "\n"
FOOTER = "With -v, the whole output of {what} is shown."


def run_cli(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), "--python", "3.12", *args])


def test_uv_hash_mismatch_names_the_package_and_the_reason(core_env, make_project, capsys):
    project = make_project(requirements__txt=WRONG_HASH)
    assert run_cli(project) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "error: uv pip install failed for fake-b==1.0 (exit 1):"
    assert lines[-1] == FOOTER.format(what="uv pip install")
    reasons = lines[1:-1]
    assert reasons[0] == "  error: Failed to download `fake-b==1.0`"
    # uv's cause chain, whole ("cause:" in uv 0.13, "Caused by:" before), and no hash dump
    assert [line.split(":")[0].strip() for line in reasons[1:]] in (["cause"], ["Caused by"])
    assert reasons[1].endswith(": Hash mismatch for `fake-b==1.0`")
    assert not (project / "build/lambda/layer/layer.zip").exists()

    assert run_cli(project, "-v") == 1
    err = capsys.readouterr().err
    verbose_tail = err[err.index("error: uv pip install failed"):]
    assert verbose_tail.splitlines() == lines  # the same message, last
    assert "sha256:" + "0" * 64 in err[: err.index("error: uv pip install failed")]  # the whole output, before it


def test_pip_hash_mismatch_names_the_package(core_env, make_project, capsys):
    project = make_project(requirements__txt=WRONG_HASH)
    assert run_cli(project, "--installer", "pip") == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "error: pip install failed for fake-b==1.0 (exit 1):"
    assert lines[1].startswith("  ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.")
    assert lines[2].startswith("      fake-b==1.0 from file://") and lines[2].endswith("fake_b-1.0-py3-none-any.whl:")
    assert lines[3:] == [FOOTER.format(what="pip install")]


@pytest.mark.parametrize("installer, first", [
    ("uv", "error: uv pip install failed for fake-zzz==1.0 (exit 1):"),
    ("pip", "error: No wheel for the target runtime (python3.12 x86_64 (manylinux, glibc 2.34)) for: fake-zzz 1.0. "),
])
def test_missing_package_is_named(core_env, make_project, capsys, installer, first):
    project = make_project(requirements__txt="fake-zzz==1.0\nfake-b==1.0\n")
    assert run_cli(project, "--installer", installer) == 1
    err = capsys.readouterr().err
    assert err.startswith(first)
    if installer == "uv":
        lines = err.splitlines()
        assert lines[1] == "  error: No solution found when resolving dependencies"
        assert "fake-zzz was not found" in lines[2] and lines[-1] == FOOTER.format(what="uv pip install")
    else:
        assert err.endswith("(pip reports a name or version the index does not have the same way: check those too.)\n")
