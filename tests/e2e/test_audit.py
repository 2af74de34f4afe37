"""The audit on real installs: uv installs each wheel for python3.12/arm64, the audit refuses it.

One test per audit branch (wheel tag, ELF machine, ELF class, extension suffix, glibc version
needs, Mach-O thin and universal, PE), each wheel holding a genuine binary from
``tests/helpers/binaries.py``, most under names no native file has: the audit reads content, not names.
The core tests in ``tests/core/install/test_audit.py`` cover the same branches on hand-made trees.
"""

from __future__ import annotations

import re

import pytest

from shared_core.cli import main

pytestmark = pytest.mark.in_process

TARGET = "python3.12 arm64 (manylinux, glibc 2.34)"
ADVICE = "Pin versions that publish wheels for this runtime, or check `python-version` and `architecture`."


@pytest.mark.parametrize("distribution, problem", [
    ("fake-linuxtag", "fake_linuxtag-1.0.dist-info is tagged cp312-cp312-linux_aarch64"),
    ("fake-badplat", "fake_badplat/_native.so is built for ELF machine 62, not aarch64 (183)"),
    ("fake-elf32", "fake_elf32/_native.so is a 32-bit ELF file"),
    ("fake-oldabi", "fake_oldabi/_speedups.cpython-311-aarch64-linux-gnu.so is an extension module for another "
                    "Python version or machine"),
    ("fake-macho", "fake_macho/_native.so is a macOS (Mach-O) binary"),
    ("fake-pe", "fake_pe/_native.pyd is a Windows (PE) binary"),
    ("fake-elf-exe", "fake_elf_exe/bin/helper is built for ELF machine 62, not aarch64 (183)"),
    ("fake-fat-macho", "fake_fat_macho/.dylibs/libfoo is a macOS (Mach-O universal) binary"),
    ("fake-pe-bin", "fake_pe_bin/tool.bin is a Windows (PE) binary"),
    ("fake-new-glibc", "fake_new_glibc/_native.cpython-312-aarch64-linux-gnu.so needs glibc 2.35 (GLIBC_2.35), "
                       "newer than the runtime's 2.34"),
])
def test_installed_wheel_that_cannot_load_on_the_target_is_refused(core_env, make_project, capsys, distribution, problem):
    project = make_project(requirements__txt=f"{distribution}==1.0\nfake-native==1.0\n")
    assert main(["build", "--project", str(project), "--python", "3.12", "--arch", "arm64", "--no-compile"]) == 1
    out, err = capsys.readouterr()
    assert re.fullmatch(rf"target: python3\.12 arm64 \(--python\)\nresolve: 2 pins from requirements.txt for {re.escape(TARGET)} \(\d+\.\d\d s\)\n", out)
    assert err == f"error: Installed files do not match the target runtime {TARGET}: {problem}. {ADVICE}\n"
    assert not (project / "build/lambda/layer/layer.zip").exists()


def test_genuine_aarch64_extension_passes(core_env, make_project, capsys):
    """A Java class file (``cafebabe``, like a universal Mach-O) and text starting "MZ" are not binaries; a
    Windows launcher template (an executable, not a library) is nothing Linux loads or runs."""
    project = make_project(requirements__txt="fake-native==1.0\nfake-lookalikes==1.0\n")
    assert main(["build", "--project", str(project), "--python", "3.12", "--arch", "arm64", "--no-compile"]) == 0
    assert capsys.readouterr().err == ""
