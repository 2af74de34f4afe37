"""The audit fixtures are genuine binaries, not just the bytes the audit happens to read."""

from __future__ import annotations

import ctypes
import platform
import struct

import pytest
from binaries import elf_shared_object, macho_bundle, pe_dll

HOST_MACHINE = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine()]


def test_the_host_machines_shared_object_loads_and_exports_its_symbol(tmp_path):
    """dlopen checks what a loader needs: segments, dynamic section, symbol and string tables, hash."""
    path = tmp_path / "libfixture.so"
    path.write_bytes(elf_shared_object(HOST_MACHINE))
    library = ctypes.CDLL(str(path))
    assert ctypes.cast(library.lambda_layer_fixture, ctypes.c_void_p).value is not None


@pytest.mark.parametrize("machine, elf_class, number, header_format, section_size", [
    ("x86_64", 2, 62, "<16sHHIQQQIHHHHHH", 64),
    ("aarch64", 2, 183, "<16sHHIQQQIHHHHHH", 64),
    ("i386", 1, 3, "<16sHHIIIIIHHHHHH", 40),
])
def test_elf_headers_describe_a_shared_object_of_that_machine(machine, elf_class, number, header_format, section_size):
    data = elf_shared_object(machine)
    header = struct.unpack_from(header_format, data)
    ident, e_type, e_machine, _version, _entry, phoff, shoff, _flags, ehsize, _phentsize, phnum, shentsize, shnum, shstrndx = header
    assert ident[:6] == b"\x7fELF" + bytes([elf_class, 1])
    assert (e_type, e_machine, phoff, ehsize, phnum, shentsize, shnum, shstrndx) == (
        3, number, struct.calcsize(header_format), struct.calcsize(header_format), 4, section_size, 7, 6)
    assert shoff + shnum * shentsize == len(data)  # the section table ends the file


def test_macho_and_pe_headers():
    magic, cpu, _subtype, filetype = struct.unpack_from("<IiiI", macho_bundle())
    assert (magic, cpu, filetype) == (0xFEEDFACF, 0x0100000C, 8)  # 64-bit, arm64, MH_BUNDLE
    dll = pe_dll()
    offset = int.from_bytes(dll[0x3C:0x40], "little")
    assert dll[:2] == b"MZ" and dll[offset:offset + 4] == b"PE\0\0"
    machine, _sections, _time, _symbols, _count, optional_size, characteristics = struct.unpack_from("<HHIIIHH", dll, offset + 4)
    assert (machine, optional_size, characteristics & 0x2000) == (0x8664, 240, 0x2000)  # x86-64 DLL
    assert struct.unpack_from("<H", dll, offset + 24)[0] == 0x20B  # PE32+
