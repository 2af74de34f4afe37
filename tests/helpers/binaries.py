"""Tiny but genuine native binaries for the audit tests, written byte by byte (no compiler needed).

* :func:`elf_shared_object` – an ``ET_DYN`` shared object as a linker lays one out: ELF header,
  program headers (a read+execute ``PT_LOAD`` for the code, a read+write one for ``.dynamic``,
  ``PT_DYNAMIC`` and a non-executable ``PT_GNU_STACK``), sections ``.hash``, ``.dynsym``,
  ``.dynstr``, ``.text`` (one return instruction), ``.dynamic`` and ``.shstrtab``, with a
  ``DT_SONAME`` and one exported function. 64-bit x86_64 and aarch64, 32-bit i386. ``readelf -a``
  and ``file`` read them without a warning, and the one for the build machine's architecture
  loads with ``dlopen`` (``ctypes.CDLL``). ``executable=True`` makes it an ``ET_EXEC`` whose entry
  point is that instruction; ``glibc_needs`` adds a ``.gnu.version_r`` section (and
  ``DT_VERNEED``) needing those ``GLIBC_2.N`` versions of ``libc.so.6``, as a linker records them.
* :func:`macho_bundle` – a 64-bit Mach-O ``MH_BUNDLE`` header (what a macOS extension module is)
  without load commands: what ``file`` and the audit read. :func:`macho_universal` – a universal
  (fat) file holding one such bundle per architecture.
* :func:`pe_dll` – a DOS stub, ``PE\\0\\0`` signature, COFF header and PE32+ optional header of a
  ``.pyd``/``.dll`` (``IMAGE_FILE_DLL``) with no sections; ``dll=False`` makes it an executable
  (a launcher template such as distlib's ``t64.exe``).
* :func:`java_class` – an empty public class ``Hello`` (extends ``java.lang.Object``), Java 8: it
  starts with ``cafebabe`` too, the magic of a universal Mach-O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple


@dataclass(frozen=True)
class ElfMachine:
    number: int  # e_machine
    elf_class: int  # 1: 32-bit, 2: 64-bit
    ret: bytes  # a return instruction, the whole of .text
    flags: int = 0


ELF_MACHINES: Dict[str, ElfMachine] = {
    "x86_64": ElfMachine(62, 2, b"\xc3"),
    "aarch64": ElfMachine(183, 2, (0xD65F03C0).to_bytes(4, "little")),
    "i386": ElfMachine(3, 1, b"\xc3"),
}

_PT_LOAD, _PT_DYNAMIC, _PT_GNU_STACK = 1, 2, 0x6474E551
_PF_X, _PF_W, _PF_R = 1, 2, 4
_SHT_PROGBITS, _SHT_STRTAB, _SHT_HASH, _SHT_DYNAMIC, _SHT_DYNSYM = 1, 3, 5, 6, 11
_SHF_WRITE, _SHF_ALLOC, _SHF_EXECINSTR = 1, 2, 4
_DT_NULL, _DT_HASH, _DT_STRTAB, _DT_SYMTAB, _DT_STRSZ, _DT_SYMENT, _DT_SONAME = 0, 4, 5, 6, 10, 11, 14
_SHT_GNU_VERNEED, _DT_VERNEED, _DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFE, 0x6FFFFFFF
_ET_EXEC, _ET_DYN = 2, 3
_SEGMENT_ALIGN = 0x10000  # 64 KiB: valid on every page size aarch64 kernels use


def _pad(data: bytearray, align: int) -> int:
    data.extend(b"\0" * (-len(data) % align))
    return len(data)


def _elf_hash(name: bytes) -> int:
    """The System V ELF hash (``vna_hash`` of a version need)."""
    value = 0
    for byte in name:
        value = (value << 4) + byte
        high = value & 0xF0000000
        if high:
            value ^= high >> 24
        value &= ~high & 0xFFFFFFFF
    return value


def elf_shared_object(
    machine: str, soname: str = "libfixture.so", symbol: str = "lambda_layer_fixture", *,
    executable: bool = False, glibc_needs: Sequence[str] = (),
) -> bytes:
    """A minimal, complete ELF shared object for ``machine`` (``x86_64``, ``aarch64`` or ``i386``);
    an executable with ``executable``; needing ``glibc_needs`` (``"2.35"``, ...) of libc.so.6."""
    spec = ELF_MACHINES[machine]
    wide = spec.elf_class == 2
    word = 8 if wide else 4
    ehdr = struct.Struct("<16sHHIQQQIHHHHHH" if wide else "<16sHHIIIIIHHHHHH")
    phdr = struct.Struct("<IIQQQQQQ" if wide else "<IIIIIIII")
    shdr = struct.Struct("<IIQQQQIIQQ" if wide else "<IIIIIIIIII")
    sym = struct.Struct("<IBBHQQ" if wide else "<IIIBBH")
    dyn = struct.Struct("<qQ" if wide else "<iI")
    phnum = 4

    dynstr = b"\0" + soname.encode() + b"\0" + symbol.encode() + b"\0"
    soname_offset, symbol_offset = 1, 2 + len(soname)
    libc_offset = len(dynstr)
    version_names = [f"GLIBC_{version}".encode() for version in glibc_needs]
    if version_names:
        dynstr += b"libc.so.6\0"
    version_offsets = []
    for name in version_names:
        version_offsets.append(len(dynstr))
        dynstr += name + b"\0"
    section_names = [b"", b".hash", b".dynsym", b".dynstr", b".text", b".dynamic", b".shstrtab"]
    section_names += [b".gnu.version_r"] if version_names else []
    shstrtab = b"\0".join(section_names) + b"\0"
    name_offsets = [shstrtab.index(b"\0" + name + b"\0") + 1 if name else 0 for name in section_names]

    body = bytearray(ehdr.size + phnum * phdr.size)
    offsets: Dict[str, int] = {}

    # .hash: one bucket (every name hashes to it) starting at our symbol; chains end there
    offsets["hash"] = _pad(body, 4)
    body += struct.pack("<IIIII", 1, 2, 1, 0, 0)
    # .dynsym: the null symbol, then a global function in .text (section 4)
    offsets["dynsym"] = _pad(body, word)
    dynsym_at = len(body)
    body += b"\0" * (2 * sym.size)
    offsets["dynstr"] = len(body)
    body += dynstr
    if version_names:  # Elf_Verneed for libc.so.6, then one Elf_Vernaux per version (16 bytes each)
        offsets["verneed"] = _pad(body, 4)
        body += struct.pack("<HHIII", 1, len(version_names), libc_offset, 16, 0)
        for index, (name, offset) in enumerate(zip(version_names, version_offsets)):
            last = index == len(version_names) - 1
            body += struct.pack("<IHHII", _elf_hash(name), 0, index + 2, offset, 0 if last else 16)
        verneed_size = len(body) - offsets["verneed"]
    offsets["text"] = _pad(body, 16)
    body += spec.ret
    text_end = len(body)
    info = (1 << 4) | 2  # STB_GLOBAL, STT_FUNC
    if wide:
        symbol_entry = sym.pack(symbol_offset, info, 0, 4, offsets["text"], len(spec.ret))
    else:
        symbol_entry = sym.pack(symbol_offset, offsets["text"], len(spec.ret), info, 0, 4)
    body[dynsym_at + sym.size: dynsym_at + 2 * sym.size] = symbol_entry

    # .dynamic lives in the second (read-write) segment: same file offset modulo the alignment
    offsets["dynamic"] = _pad(body, word)
    dynamic_vaddr = offsets["dynamic"] + _SEGMENT_ALIGN
    entries: List[Tuple[int, int]] = [
        (_DT_SONAME, soname_offset), (_DT_HASH, offsets["hash"]), (_DT_STRTAB, offsets["dynstr"]),
        (_DT_SYMTAB, offsets["dynsym"]), (_DT_STRSZ, len(dynstr)), (_DT_SYMENT, sym.size),
    ]
    if version_names:
        entries += [(_DT_VERNEED, offsets["verneed"]), (_DT_VERNEEDNUM, 1)]
    entries.append((_DT_NULL, 0))
    for tag, value in entries:
        body += dyn.pack(tag, value)
    dynamic_size = len(entries) * dyn.size
    offsets["shstrtab"] = len(body)
    body += shstrtab
    section_table = _pad(body, word)

    def program_header(kind: int, flags: int, offset: int, vaddr: int, size: int, align: int) -> bytes:
        if wide:
            return phdr.pack(kind, flags, offset, vaddr, vaddr, size, size, align)
        return phdr.pack(kind, offset, vaddr, vaddr, size, size, flags, align)

    headers = [
        program_header(_PT_LOAD, _PF_R | _PF_X, 0, 0, text_end, _SEGMENT_ALIGN),
        program_header(_PT_LOAD, _PF_R | _PF_W, offsets["dynamic"], dynamic_vaddr, dynamic_size, _SEGMENT_ALIGN),
        program_header(_PT_DYNAMIC, _PF_R | _PF_W, offsets["dynamic"], dynamic_vaddr, dynamic_size, word),
        program_header(_PT_GNU_STACK, _PF_R | _PF_W, 0, 0, 0, 16),
    ]
    body[ehdr.size: ehdr.size + phnum * phdr.size] = b"".join(headers)

    def section(index: int, kind: int, flags: int, addr: int, offset: int, size: int,
                link: int = 0, info: int = 0, align: int = 1, entsize: int = 0) -> bytes:
        return shdr.pack(name_offsets[index], kind, flags, addr, offset, size, link, info, align, entsize)

    sections = [
        shdr.pack(*([0] * 10)),
        section(1, _SHT_HASH, _SHF_ALLOC, offsets["hash"], offsets["hash"], 20, link=2, align=4, entsize=4),
        section(2, _SHT_DYNSYM, _SHF_ALLOC, offsets["dynsym"], offsets["dynsym"], 2 * sym.size, link=3, info=1,
                align=word, entsize=sym.size),
        section(3, _SHT_STRTAB, _SHF_ALLOC, offsets["dynstr"], offsets["dynstr"], len(dynstr)),
        section(4, _SHT_PROGBITS, _SHF_ALLOC | _SHF_EXECINSTR, offsets["text"], offsets["text"], len(spec.ret), align=16),
        section(5, _SHT_DYNAMIC, _SHF_WRITE | _SHF_ALLOC, dynamic_vaddr, offsets["dynamic"], dynamic_size, link=3,
                align=word, entsize=dyn.size),
        section(6, _SHT_STRTAB, 0, 0, offsets["shstrtab"], len(shstrtab)),
    ]
    if version_names:
        sections.append(section(7, _SHT_GNU_VERNEED, _SHF_ALLOC, offsets["verneed"], offsets["verneed"], verneed_size,
                                link=3, info=1, align=4))
    body += b"".join(sections)

    ident = b"\x7fELF" + bytes([spec.elf_class, 1, 1, 0]) + bytes(8)  # little endian, version 1, System V
    body[: ehdr.size] = ehdr.pack(
        ident, _ET_EXEC if executable else _ET_DYN, spec.number, 1, offsets["text"] if executable else 0, ehdr.size,
        section_table, spec.flags,
        ehdr.size, phdr.size, phnum, shdr.size, len(sections), 6,
    )
    return bytes(body)


def macho_bundle(cpu: str = "arm64") -> bytes:
    """A 64-bit little-endian Mach-O ``MH_BUNDLE`` (a macOS ``.so`` extension module) with no load commands."""
    cpu_type = {"arm64": 0x0100000C, "x86_64": 0x01000007}[cpu]
    mh_bundle, mh_noundefs_dyldlink_twolevel = 8, 0x1 | 0x4 | 0x80
    return struct.pack("<IiiIIIII", 0xFEEDFACF, cpu_type, 0, mh_bundle, 0, 0, mh_noundefs_dyldlink_twolevel, 0)


def macho_universal(*cpus: str) -> bytes:
    """A universal (fat) Mach-O holding a :func:`macho_bundle` per cpu, each slice 4 KiB aligned."""
    cpu_types = {"arm64": (0x0100000C, 0), "x86_64": (0x01000007, 3)}
    align = 12
    header = struct.pack(">II", 0xCAFEBABE, len(cpus))
    slices = [macho_bundle(cpu) for cpu in cpus]
    offset = 1 << align
    table = b""
    body = b""
    for cpu, data in zip(cpus, slices):
        cpu_type, subtype = cpu_types[cpu]
        table += struct.pack(">iiIII", cpu_type, subtype, offset + len(body), len(data), align)
        body += data + b"\0" * (-len(data) % (1 << align))
    return header + table + b"\0" * (offset - len(header) - len(table)) + body


def java_class(name: str = "Hello", major: int = 52) -> bytes:
    """An empty public class extending java.lang.Object (major 52: Java 8)."""
    def utf8(text: str) -> bytes:
        return b"\x01" + struct.pack(">H", len(text)) + text.encode()

    pool = b"\x07\x00\x02" + utf8(name) + b"\x07\x00\x04" + utf8("java/lang/Object")
    return (struct.pack(">IHHH", 0xCAFEBABE, 0, major, 5) + pool
            + struct.pack(">HHHHHHH", 0x0021, 1, 3, 0, 0, 0, 0))


def pe_dll(machine: str = "x86_64", dll: bool = True) -> bytes:
    """A PE32+ DLL header (a Windows ``.pyd``): DOS stub, signature, COFF and optional header, no sections;
    an executable's with ``dll=False``."""
    number = {"x86_64": 0x8664, "arm64": 0xAA64}[machine]
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    dos[0x3C:0x40] = (64).to_bytes(4, "little")  # e_lfanew: the PE header follows the DOS header
    optional = bytearray(240)
    struct.pack_into("<H", optional, 0, 0x20B)  # PE32+
    struct.pack_into("<Q", optional, 24, 0x180000000)  # ImageBase
    struct.pack_into("<II", optional, 32, 0x1000, 0x200)  # SectionAlignment, FileAlignment
    struct.pack_into("<HH", optional, 48, 6, 0)  # MajorSubsystemVersion
    struct.pack_into("<II", optional, 56, 0x1000, 0x200)  # SizeOfImage, SizeOfHeaders
    struct.pack_into("<H", optional, 68, 3)  # Subsystem: Windows console
    struct.pack_into("<I", optional, 108, 16)  # NumberOfRvaAndSizes
    characteristics = (0x2000 if dll else 0) | 0x0020 | 0x0002  # DLL, large address aware, executable image
    coff = struct.pack("<HHIIIHH", number, 0, 0, 0, 0, len(optional), characteristics)
    return bytes(dos) + b"PE\0\0" + coff + bytes(optional)
