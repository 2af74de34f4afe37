"""shared_core.install.audit: the platform audit on hand-made trees, reading every file by its content."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_core.errors import PlatformMismatchError
from shared_core.install.audit import audit_tree
from shared_core.lambda_runtime import LambdaTarget
from tests.helpers.binaries import elf_shared_object, java_class, macho_bundle, macho_universal, pe_dll

ARM_312 = LambdaTarget.create("3.12", "arm64")


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
