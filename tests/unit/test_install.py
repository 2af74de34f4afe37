"""Step 1b, pure pieces: the installer command lines and the platform audit."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared_core.errors import PlatformMismatchError
from shared_core.install.audit import audit_tree
from shared_core.install.commands import InstallRequest, pip_command, uv_command
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.model import Pin
from shared_core.support.toolchain import find_uv
from tests.helpers.binaries import elf_shared_object, java_class, macho_bundle, macho_universal, pe_dll

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


def _dist(root: Path, name: str, tag: str) -> None:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")


def _elf(path: Path, machine: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(elf_shared_object(machine))


def _refusal(target: LambdaTarget, *problems: str) -> str:
    return (f"Installed files do not match the target runtime {target.describe()}: {'; '.join(problems)}. "
            "Pin versions that publish wheels for this runtime, or check `python-version` and `architecture`.")


def test_audit_accepts_a_matching_tree(tmp_path):
    _dist(tmp_path, "fast", "cp312-cp312-manylinux_2_17_aarch64")
    _elf(tmp_path / "fast/_speed.cpython-312-aarch64-linux-gnu.so", "aarch64")
    audit_tree(tmp_path, ARM_312)


@pytest.mark.parametrize("case, problem", [
    ("tag", "fast-1.0.dist-info is tagged cp312-cp312-manylinux_2_17_x86_64"),
    ("machine", "fast/_speed.cpython-312-aarch64-linux-gnu.so is built for ELF machine 62, not aarch64 (183)"),
    ("32-bit", "fast/_speed.cpython-312-aarch64-linux-gnu.so is a 32-bit ELF file"),
    ("suffix", "fast/_speed.cpython-311-aarch64-linux-gnu.so is an extension module for another Python version or machine"),
    ("mach-o", "fast/_speed.so is a macOS (Mach-O) binary"),
])
def test_audit_names_each_kind_of_mismatch(tmp_path, case, problem):
    _dist(tmp_path, "fast", "cp312-cp312-manylinux_2_17_x86_64" if case == "tag" else "cp312-cp312-manylinux_2_17_aarch64")
    so = tmp_path / "fast/_speed.cpython-312-aarch64-linux-gnu.so"
    if case == "machine":
        _elf(so, "x86_64")
    elif case == "32-bit":
        _elf(so, "i386")
    elif case == "suffix":
        _elf(tmp_path / "fast/_speed.cpython-311-aarch64-linux-gnu.so", "aarch64")
    elif case == "mach-o":
        (tmp_path / "fast").mkdir()
        (tmp_path / "fast/_speed.so").write_bytes(macho_bundle())
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, ARM_312)
    assert str(error.value) == _refusal(ARM_312, problem)


def test_audit_reads_every_file_by_its_content_not_its_name(tmp_path):
    """Versioned libraries, executables and data that is ELF are all checked, whatever their name; a
    text ``.so`` (a linker script), a Java class (``cafebabe`` too), text starting "MZ" and a PE
    executable (distlib's ``t64.exe``, a template nothing on Linux runs) pass."""
    _dist(tmp_path, "fast", "cp312-cp312-manylinux_2_17_aarch64")
    (tmp_path / "fast.libs").mkdir()
    (tmp_path / "fast.libs/libz-1a2b.so.1.3").write_bytes(elf_shared_object("x86_64"))
    (tmp_path / "fast/data").mkdir(parents=True)
    (tmp_path / "fast/data/firmware.elf").write_bytes(elf_shared_object("x86_64"))
    (tmp_path / "fast/data/helper").write_bytes(elf_shared_object("x86_64", executable=True))
    (tmp_path / "fast/data/libfoo").write_bytes(macho_universal("x86_64", "arm64"))
    (tmp_path / "fast/data/tool.bin").write_bytes(pe_dll())
    (tmp_path / "fast/data/t64.exe").write_bytes(pe_dll(dll=False))  # a launcher template: not a library
    (tmp_path / "fast/data/Hello.class").write_bytes(java_class())
    (tmp_path / "fast/data/mz.txt").write_bytes(b"MZ is how a DOS executable starts; this is text about it, long enough "
                                                b"to have bytes where e_lfanew would be.\n")
    (tmp_path / "fast/data/short").write_bytes(b"MZ")
    (tmp_path / "fast/libc.so").write_bytes(b"/* GNU ld script */\nINPUT(-lc)\n")
    (tmp_path / "fast/_native.cpython-312-aarch64-linux-gnu.so").write_bytes(elf_shared_object("aarch64"))
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, ARM_312)
    assert str(error.value) == _refusal(
        ARM_312,
        "fast/data/firmware.elf is built for ELF machine 62, not aarch64 (183)",
        "fast/data/helper is built for ELF machine 62, not aarch64 (183)",
        "fast/data/libfoo is a macOS (Mach-O universal) binary",
        "fast/data/tool.bin is a Windows (PE) binary",
        "fast.libs/libz-1a2b.so.1.3 is built for ELF machine 62, not aarch64 (183)",
    )


@pytest.mark.parametrize("header", [
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # thin, both byte orders
])
def test_audit_knows_each_thin_macho_magic(tmp_path, header):
    (tmp_path / "libthing").write_bytes(header + bytes(60))
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, ARM_312)
    assert str(error.value) == _refusal(ARM_312, "libthing is a macOS (Mach-O) binary")


@pytest.mark.parametrize("count, flagged", [(0, False), (1, True), (19, True), (20, False), (45, False)])
def test_a_universal_macho_has_a_small_architecture_count_a_java_class_its_version(tmp_path, count, flagged):
    for magic in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
        (tmp_path / "blob").write_bytes(magic + count.to_bytes(4, "big") + bytes(56))
        if flagged:
            with pytest.raises(PlatformMismatchError) as error:
                audit_tree(tmp_path, ARM_312)
            assert str(error.value) == _refusal(ARM_312, "blob is a macOS (Mach-O universal) binary")
        else:
            audit_tree(tmp_path, ARM_312)


def test_a_pe_signature_is_looked_for_where_e_lfanew_points(tmp_path):
    dll = bytearray(pe_dll())
    (tmp_path / "moved.dat").write_bytes(bytes(dll[:0x3C]) + (200).to_bytes(4, "little") + bytes(dll[0x40:64])
                                         + bytes(136) + bytes(dll[64:]))
    (tmp_path / "wrong.dat").write_bytes(bytes(dll[:0x3C]) + (72).to_bytes(4, "little") + bytes(dll[0x40:]))
    (tmp_path / "unsigned.dat").write_bytes(bytes(dll).replace(b"PE\0\0", b"XY\0\0", 1))  # a DLL's COFF header, no signature
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, ARM_312)
    assert str(error.value) == _refusal(ARM_312, "moved.dat is a Windows (PE) binary")


@pytest.mark.parametrize("target, needs, problem", [
    (ARM_312, ("2.17", "2.34"), None),
    (ARM_312, ("2.17", "2.35", "2.28"), "needs glibc 2.35 (GLIBC_2.35), newer than the runtime's 2.34"),
    (LambdaTarget.create("3.11", "arm64"), ("2.26",), None),
    (LambdaTarget.create("3.11", "arm64"), ("2.27",), "needs glibc 2.27 (GLIBC_2.27), newer than the runtime's 2.26"),
    (ARM_312, ("2.4", "2.100"), "needs glibc 2.100 (GLIBC_2.100), newer than the runtime's 2.34"),  # numbers, not text
])
def test_audit_refuses_a_binary_needing_a_newer_glibc_than_the_runtimes(tmp_path, target, needs, problem):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib/libneeds.so.1").write_bytes(elf_shared_object("aarch64", glibc_needs=needs))
    if problem is None:
        audit_tree(tmp_path, target)
        return
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, target)
    assert str(error.value) == _refusal(target, f"lib/libneeds.so.1 {problem}")


def test_pyc_magic_numbers_are_those_of_each_interpreter_here():
    """lambda_runtime's table against every interpreter of a Lambda version this machine has."""
    import subprocess

    from shared_core.lambda_runtime import SUPPORTED_PYTHON_VERSIONS
    from shared_core.support.toolchain import find_interpreter

    checked = []
    for version in SUPPORTED_PYTHON_VERSIONS:
        target = LambdaTarget.create(version, "x86_64")
        interpreter = find_interpreter(target)
        if interpreter is None:
            continue
        magic = subprocess.run([interpreter, "-c", "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
                               capture_output=True, text=True, check=True).stdout
        assert bytes.fromhex(magic) == target.pyc_magic, version
        checked.append(version)
    assert "%d.%d" % sys.version_info[:2] in checked


def test_audit_reports_a_library_once_not_through_its_symlinks(tmp_path):
    """``libfoo.so -> libfoo.so.1``: the file is checked once, by its own name, and so is every file after the link."""
    _dist(tmp_path, "fast", "cp312-cp312-manylinux_2_17_aarch64")
    _elf(tmp_path / "fast.libs/libz.so.1", "x86_64")
    (tmp_path / "fast.libs/libz.so").symlink_to("libz.so.1")  # sorted first
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, ARM_312)
    assert str(error.value) == _refusal(ARM_312, "fast.libs/libz.so.1 is built for ELF machine 62, not aarch64 (183)")


def test_audit_reads_big_endian_elf_headers(tmp_path):
    _dist(tmp_path, "fast", "cp312-cp312-manylinux_2_17_aarch64")
    s390x = b"\x7fELF" + bytes([2, 2, 1]) + bytes(9) + (3).to_bytes(2, "big") + (22).to_bytes(2, "big") + bytes(44)
    (tmp_path / "fast").mkdir()
    (tmp_path / "fast/_speed.so").write_bytes(s390x)
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, ARM_312)
    assert str(error.value) == _refusal(ARM_312, "fast/_speed.so is built for ELF machine 22, not aarch64 (183)")


def test_audit_lists_every_wheel_tag_and_tolerates_odd_bytes(tmp_path):
    info = tmp_path / "odd-1.0.dist-info"
    info.mkdir()
    (info / "WHEEL").write_bytes(b"Wheel-Version: 1.0\nGenerator: caf\xe9\nTag: cp312-cp312-linux_x86_64\n"
                                 b"Tag: cp312-cp312-macosx_11_0_arm64\n")
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, ARM_312)
    assert str(error.value) == _refusal(
        ARM_312, "odd-1.0.dist-info is tagged cp312-cp312-linux_x86_64, cp312-cp312-macosx_11_0_arm64")


@pytest.mark.parametrize("count, shown_suffix", [(20, ""), (21, "; and 1 more"), (22, "; and 2 more")])
def test_audit_shows_twenty_problems_then_counts_the_rest(tmp_path, count, shown_suffix):
    for index in range(count):
        _dist(tmp_path, f"d{index:02d}", "cp312-cp312-win_amd64")
    with pytest.raises(PlatformMismatchError) as error:
        audit_tree(tmp_path, ARM_312)
    shown = [f"d{index:02d}-1.0.dist-info is tagged cp312-cp312-win_amd64" for index in range(min(count, 20))]
    assert str(error.value) == _refusal(ARM_312, *shown).replace(". Pin versions", shown_suffix + ". Pin versions", 1)


def test_the_bytecode_interpreters_full_version_is_known():
    """Part of the fingerprint: a new patch release of the compiling interpreter means a rebuild."""
    import platform

    from shared_core.support.toolchain import find_interpreter, interpreter_release

    running = LambdaTarget.create("%d.%d" % sys.version_info[:2], "x86_64")
    assert interpreter_release(find_interpreter(running)) == platform.python_version()


def test_an_interpreter_named_for_the_target_but_of_another_version_is_not_used(tmp_path, monkeypatch):
    """A ``python3.13`` on PATH that is really this interpreter (a stale shim, a symlink) would compile
    the layer's bytecode for the wrong version: only one that reports 3.13 itself is taken."""
    import os
    import subprocess

    from shared_core.support.toolchain import find_interpreter

    assert "%d.%d" % sys.version_info[:2] != "3.13"
    shim = tmp_path / "bin" / "python3.13"
    shim.parent.mkdir()
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    found = find_interpreter(LambdaTarget.create("3.13", "x86_64"))
    assert found is not None, "needs a Python 3.13 interpreter in pyenv or for `uv python find` (as test_robustness)"
    reported = subprocess.run([found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert reported == "3.13"


def test_modules_that_do_not_compile_are_named_five_then_counted(tmp_path):
    """The plural message: owners where a RECORD names them, the first five, then how many more."""
    from shared_core.errors import InvalidPythonError
    from shared_core.install.bytecode import BytecodeResult
    from shared_core.install.staging import _check_invalid_python
    from shared_core.support.reporting import PrintReporter

    info = tmp_path / "newer-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: newer\nVersion: 2.0\n")
    (info / "RECORD").write_text("".join(f"newer/m{index}.py,,\n" for index in range(7)))
    invalid = tuple((f"newer/m{index}.py", "SyntaxError: invalid syntax at line 1") for index in range(7))
    bytecode = BytecodeResult(True, sys.executable, "compiled", files=3, invalid=invalid)
    with pytest.raises(InvalidPythonError) as error:
        _check_invalid_python(bytecode, tmp_path, LambdaTarget.create("3.11", "x86_64"), False, PrintReporter())
    shown = "; ".join(f"newer/m{index}.py of newer 2.0 (SyntaxError: invalid syntax at line 1)" for index in range(5))
    assert str(error.value) == (
        f"7 modules do not compile with Python 3.11, so importing them on python3.11 fails: {shown}; and 2 more. Pin "
        "releases that support Python 3.11 (or target the runtime they need), or exclude their distributions "
        "(`exclude-packages`, --exclude); to ship them as source anyway, set `allow-invalid-python = true` "
        "(--allow-invalid-python). Nothing was written; the previous layer zip is unchanged."
    )
    assert bytecode.shortfall() == ("7 of 10 modules are not valid Python for the target and ship as source only "
                                    "(first: newer/m0.py: SyntaxError: invalid syntax at line 1)")
    assert not bytecode.complete


def test_a_pyenv_shim_is_tried_after_the_interpreters_it_chooses_from(tmp_path, monkeypatch):
    """A shim is a shell script that costs a tenth of a second on every build (up-to-date ones too)."""
    import os

    from shared_core.support.toolchain import _candidates

    root = tmp_path / "pyenv"
    shim = root / "shims" / "python3.12"
    versions = [root / "versions" / release / "bin" / "python3.12" for release in ("3.12.1", "3.12.4")]
    for path in (shim, *versions):
        path.parent.mkdir(parents=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}/nonexistent")
    assert _candidates("3.12") == [str(versions[1]), str(versions[0]), str(shim)]
