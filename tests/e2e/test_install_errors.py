"""Real failing installs (a wrong hash, a package that does not exist) with uv and with pip: the
message shows the installer's own reasons first and whole, names the package, holds no hash dump,
and ``-v`` adds the installer's whole output."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_core.cli import main
from tests.helpers.wheelfactory import wheel_sha256

pytestmark = pytest.mark.in_process

WRONG_HASH = "fake-b==1.0 --hash=sha256:" + "0" * 64 + "\n"
FOOTER = "With -v, the whole output of {what} is shown."
LAYER = Path("build/lambda/layer/layer.zip")


def run_cli(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), "--python", "3.12", *args])


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_wrong_hash_stops_the_build_and_names_the_package(core_env, make_project, wheelhouse, capsys, installer):
    """The previous layer stays; the message is the installer's reasons, first and whole, without its
    hash dump; ``-v`` adds the installer's whole output, with both hashes, before the same message."""
    project = make_project(requirements__txt="fake-b==1.0\n")
    assert run_cli(project, "--no-compile") == 0
    before = (project / LAYER).read_bytes()
    (project / "requirements.txt").write_text(WRONG_HASH)
    capsys.readouterr()
    assert run_cli(project, "--no-compile", "--installer", installer) == 1
    lines = capsys.readouterr().err.splitlines()
    what = {"uv": "uv pip install", "pip": "pip install"}[installer]
    assert lines[0] == f"error: {what} failed for fake-b==1.0 (exit 1):"
    if installer == "uv":
        assert lines[1:-1] == ["  error: Failed to download `fake-b==1.0`", "    cause: Hash mismatch for `fake-b==1.0`"]
    else:
        assert len(lines) == 4
        assert lines[1].startswith("  ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.")
        assert lines[2].startswith("      fake-b==1.0 from file://") and lines[2].endswith("fake_b-1.0-py3-none-any.whl:")
    assert lines[-1] == FOOTER.format(what=what)
    assert (project / LAYER).read_bytes() == before

    assert run_cli(project, "--no-compile", "--installer", installer, "-v") == 1
    err = capsys.readouterr().err
    message = err.index(f"error: {what} failed")
    assert err[message:].splitlines() == lines  # the same message, last
    assert "0" * 64 in err[:message] and wheel_sha256(wheelhouse, "fake_b-1.0-py3-none-any.whl") in err[:message]


@pytest.mark.parametrize("installer, first", [
    ("uv", "error: uv pip install failed for fake-zzz==1.0 (exit 1):"),
    ("pip", "error: No wheel for the target runtime (python3.12 x86_64 (manylinux, glibc 2.34)) for: fake-zzz 1.0. "),
])
def test_missing_package_is_named(core_env, make_project, wheelhouse, capsys, installer, first):
    """A hash-pinned set is installed as written (no resolver), so the installer meets the missing package."""
    fake_b = wheel_sha256(wheelhouse, "fake_b-1.0-py3-none-any.whl")
    project = make_project(requirements__txt=f"fake-zzz==1.0 --hash=sha256:{'1' * 64}\nfake-b==1.0 --hash=sha256:{fake_b}\n")
    assert run_cli(project, "--installer", installer) == 1
    err = capsys.readouterr().err
    assert err.startswith(first)
    if installer == "uv":
        lines = err.splitlines()
        assert lines[1] == "  error: No solution found when resolving dependencies"
        assert "fake-zzz was not found" in lines[2] and lines[-1] == FOOTER.format(what="uv pip install")
    else:
        assert err.endswith("(pip reports a name or version the index does not have the same way: check those too.)\n")


def test_missing_package_is_named_by_the_resolver(core_env, make_project, capsys):
    """A requirements file without hashes is resolved first: the resolver names the package."""
    project = make_project(requirements__txt="fake-zzz==1.0\nfake-b==1.0\n")
    assert run_cli(project) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "error: uv pip compile (requirements.txt) failed for fake-zzz==1.0 (exit 1):"
    assert lines[1] == "  error: No solution found when resolving dependencies"
    assert "fake-zzz was not found" in lines[2]
    assert not (project / LAYER).exists()
