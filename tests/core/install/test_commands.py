"""shared_core.install.commands: the installer command lines, for the runtime's wheels only."""

from __future__ import annotations

import sys

from shared_core.install.commands import InstallRequest, pip_command, uv_command
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.model import Pin
from shared_core.support.toolchain import find_uv

ARM_312 = LambdaTarget.create("3.12", "arm64")


PINS = (Pin("requests", "2.32.3", ("sha256:aa",)), Pin("PyYAML", "6.0.2", ("sha256:bb",)))


def test_uv_command_targets_the_runtime_wheels_only_with_hashes(tmp_path):
    request = InstallRequest(PINS, ARM_312, tmp_path / "python")
    assert uv_command(request, tmp_path / "req.txt") == [
        find_uv(), "pip", "install", "--target", str(tmp_path / "python"),
        "--python-platform", "aarch64-manylinux_2_34", "--python-version", "3.12",
        "--python", sys.executable, "--no-deps", "--link-mode", "hardlink", "-r", str(tmp_path / "req.txt"),
        "--only-binary", ":all:", "--require-hashes",
    ]


def test_uv_command_allows_only_the_named_sdists_and_no_hashes_when_no_pin_has_one(tmp_path):
    pins = (Pin("requests", "2.32.3"), Pin("PyYAML", "6.0.2"))
    request = InstallRequest(pins, ARM_312, tmp_path / "python", allow_sdist=("pyyaml",))
    command = uv_command(request, tmp_path / "req.txt", dry_run=True)
    assert command[-3:] == ["--only-binary", "requests", "--dry-run"]
    assert "--require-hashes" not in command and ":all:" not in command


def test_pip_command_lists_every_manylinux_tag_of_the_runtime(tmp_path):
    request = InstallRequest(PINS, LambdaTarget.create("3.11", "x86_64"), tmp_path / "python", installer="pip")
    command = pip_command(request, tmp_path / "req.txt")
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert platforms[:3] == ["manylinux_2_26_x86_64", "manylinux_2_25_x86_64", "manylinux_2_24_x86_64"]
    assert platforms[-3:] == ["manylinux_2_5_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    assert "manylinux_2_27_x86_64" not in platforms and len(platforms) == 25
    abis = [command[i + 1] for i, arg in enumerate(command) if arg == "--abi"]
    assert abis == ["cp311", "abi3", "none"]
    assert command[-2:] == ["--only-binary=:all:", "--require-hashes"]
