"""The audit fixtures are genuine binaries, not just the bytes the audit happens to read."""

from __future__ import annotations

import ctypes
import platform
import struct

import pytest

from tests.helpers.binaries import elf_shared_object, java_class, macho_bundle, macho_universal, pe_dll

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


def test_an_executable_and_version_needs():
    executable = elf_shared_object("x86_64", executable=True)
    e_type, _machine, _version, entry = struct.unpack_from("<HHIQ", executable, 16)
    assert (e_type, executable[entry:entry + 1]) == (2, b"\xc3")  # ET_EXEC, entry at the return instruction
    data = elf_shared_object("aarch64", glibc_needs=("2.17", "2.35"))
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shnum, = struct.unpack_from("<H", data, 0x3C)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + 64 * index) for index in range(shnum)]
    [verneed] = [section for section in sections if section[1] == 0x6FFFFFFE]
    dynstr = sections[verneed[6]]
    offset = verneed[4]
    _version, count, file_name, aux, _next = struct.unpack_from("<HHIII", data, offset)

    def string(at: int) -> bytes:
        start = dynstr[4] + at
        return data[start:data.index(b"\0", start)]

    names = []
    position = offset + aux
    for _ in range(count):
        _hash, _flags, _other, name, following = struct.unpack_from("<IHHII", data, position)
        names.append(string(name))
        position += following
    assert (string(file_name), names) == (b"libc.so.6", [b"GLIBC_2.17", b"GLIBC_2.35"])


def test_universal_macho_and_java_class_headers():
    fat = macho_universal("x86_64", "arm64")
    magic, count = struct.unpack_from(">II", fat)
    slices = [struct.unpack_from(">iiIII", fat, 8 + 20 * index) for index in range(count)]
    assert (magic, [(cpu, offset % 4096) for cpu, _sub, offset, _size, _align in slices]) == (
        0xCAFEBABE, [(0x01000007, 0), (0x0100000C, 0)])
    assert [fat[offset:offset + 4] for _cpu, _sub, offset, _size, _align in slices] == [b"\xcf\xfa\xed\xfe"] * 2
    assert struct.unpack_from(">IHH", java_class()) == (0xCAFEBABE, 0, 52)  # the major version where fat's count is
