"""After installing, prove every wheel and every native binary is for the target runtime.

A wrong-platform binary fails only at load time on Lambda; this check fails the build instead,
naming the file. Binaries are recognised by their content, never by their name, because loaders
and ``subprocess`` do not care what a file is called: every regular file's first bytes are read
(a few dozen; nothing else is read from a file that is not a binary).

- ELF, of any type (extension modules, libraries, executables, whatever their name): 64-bit, of
  the target's machine, extension modules with an ABI suffix of the target's Python, and needing
  no ``GLIBC_2.N`` symbol version newer than the runtime's glibc (read from ``.gnu.version_r``);
- Mach-O, thin (``feedface``/``feedfacf`` in either byte order) or universal (``cafebabe`` /
  ``cafebabf`` followed by a small architecture count; a Java class file starts with ``cafebabe``
  too, but its major version, 45 or more, stands where the count would);
- PE libraries (a ``.pyd``, a ``.dll``, whatever their name): ``MZ`` *and* a ``PE\\0\\0`` signature
  where ``e_lfanew`` points (a text file may start with "MZ"), with ``IMAGE_FILE_DLL`` set. A PE
  *executable* is not refused: pip, setuptools and distlib ship Windows launcher templates
  (``t64.exe``, ``cli-64.exe``) that they copy out for Windows installs and nothing on Linux runs,
  and a wheel built for Windows is still caught by its ``.pyd`` and ``.dll`` files.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import BinaryIO, Iterator, List, Optional, Tuple, Union

from shared_core.errors import PlatformMismatchError
from shared_core.lambda_runtime import LambdaTarget

#: Bytes read from every file: an ELF64 header, and PE's ``e_lfanew`` at 0x3C.
HEADER_BYTES = 64

_ELF_MAGIC = b"\x7fELF"
_MACHO_THIN = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_MACHO_FAT = (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")
#: A universal binary holds a few architectures; a Java class file has its major version (>= 45) there.
_MAX_FAT_ARCHES = 20
_PE_SIGNATURE = b"PE\0\0"
#: COFF Characteristics (offset 18 of the header after the signature): the image is a DLL.
_IMAGE_FILE_DLL = 0x2000
#: The first byte of every header above: any other file is not looked at further.
_FIRST_BYTES = frozenset(magic[:1] for magic in (_ELF_MAGIC, *_MACHO_THIN, *_MACHO_FAT, b"MZ"))

_SHT_GNU_VERNEED = 0x6FFFFFFE
_GLIBC = b"GLIBC_"
#: Sections and version needs read at most, so a damaged header cannot make the audit read for long.
_MAX_SECTIONS = 4096
_MAX_NEEDS = 4096


def wheel_tag_problems(root: Path, target: LambdaTarget) -> List[str]:
    problems = []
    for wheel_file in sorted(root.glob("*.dist-info/WHEEL")):
        headers = HeaderParser().parsestr(wheel_file.read_text(encoding="utf-8", errors="replace"))
        tags = headers.get_all("Tag") or []
        if tags and not any(target.accepts_wheel_tag(tag.strip()) for tag in tags):
            problems.append(f"{wheel_file.parent.name} is tagged {', '.join(tags)}")
    return problems


@dataclass(frozen=True)
class _ElfLayout:
    """How to read one ELF file's structures: byte order and the 64-bit header's fields."""

    order: str  # "<" or ">"

    def unpack(self, fmt: str, data: bytes, offset: int = 0) -> Tuple[int, ...]:
        return struct.unpack_from(self.order + fmt, data, offset)


def _read_at(handle: BinaryIO, offset: int, size: int) -> bytes:
    handle.seek(offset)
    return handle.read(size)


def _string_at(handle: BinaryIO, offset: int) -> bytes:
    """A NUL-terminated symbol version name (short: ``GLIBC_2.34``)."""
    return _read_at(handle, offset, 64).split(b"\0", 1)[0]


def _glibc_needs(handle: BinaryIO, header: bytes, layout: _ElfLayout) -> Iterator[Tuple[int, int]]:
    """Each ``GLIBC_X.Y`` version a 64-bit ELF file needs, from its ``SHT_GNU_verneed`` section."""
    (shoff,) = layout.unpack("Q", header, 0x28)
    shentsize, shnum = layout.unpack("HH", header, 0x3A)
    if not shoff or shentsize < 64 or not 0 < shnum <= _MAX_SECTIONS:
        return
    table = _read_at(handle, shoff, shentsize * shnum)
    sections = [layout.unpack("IIQQQQII", table, index * shentsize) for index in range(len(table) // shentsize)]
    for _, kind, _, _, offset, size, link, count in sections:
        if kind != _SHT_GNU_VERNEED or link >= len(sections):
            continue
        strings = sections[link][4]
        needs = _read_at(handle, offset, size)
        entry = 0
        for _ in range(min(count, _MAX_NEEDS)):
            if entry + 16 > len(needs):
                break
            _, aux_count, _, aux, following = layout.unpack("HHIII", needs, entry)
            position = entry + aux
            for _ in range(min(aux_count, _MAX_NEEDS)):
                if position + 16 > len(needs):
                    break
                _, _, _, name, next_aux = layout.unpack("IHHII", needs, position)
                version = _string_at(handle, strings + name)
                if version.startswith(_GLIBC):
                    parts = version[len(_GLIBC):].split(b".")
                    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
                        yield int(parts[0]), int(parts[1])
                if not next_aux:
                    break
                position += next_aux
            if not following:
                break
            entry += following


def _elf_problem(handle: BinaryIO, header: bytes, relpath: str, target: LambdaTarget) -> Optional[str]:
    if len(header) < 20 or header[4] != 2:
        return f"{relpath} is a 32-bit ELF file"
    layout = _ElfLayout("<" if header[5] == 1 else ">")
    (machine,) = layout.unpack("H", header, 18)
    if machine != target.elf_machine:
        return f"{relpath} is built for ELF machine {machine}, not {target.machine} ({target.elf_machine})"
    if not target.extension_suffix_ok(os.path.basename(relpath)):
        return f"{relpath} is an extension module for another Python version or machine"
    if len(header) < HEADER_BYTES:
        return None
    newest = max(_glibc_needs(handle, header, layout), default=None)
    if newest is not None and newest > target.glibc:
        return f"{relpath} needs glibc %d.%d (GLIBC_%d.%d), newer than the runtime's %d.%d" % (*newest, *newest, *target.glibc)
    return None


def _is_pe_library(handle: BinaryIO, header: bytes) -> bool:
    """``MZ`` alone is two letters of text: a PE file has ``PE\\0\\0`` where ``e_lfanew`` (0x3C)
    points, then its COFF header, whose Characteristics say whether it is a DLL."""
    if len(header) < HEADER_BYTES:
        return False
    (offset,) = struct.unpack_from("<I", header, 0x3C)
    coff = _read_at(handle, offset, 24)
    return len(coff) == 24 and coff[:4] == _PE_SIGNATURE and bool(struct.unpack_from("<H", coff, 22)[0] & _IMAGE_FILE_DLL)


def _read_header(path: str) -> bytes:
    """The first bytes of a file, through the file descriptor: half the cost of ``open()`` per file."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        return os.read(descriptor, HEADER_BYTES)
    finally:
        os.close(descriptor)


def native_file_problem(path: Union[str, Path], relpath: str, target: LambdaTarget) -> Optional[str]:
    """Why a binary cannot load on the target, or None (also None for a file that is not a binary)."""
    header = _read_header(str(path))
    if header[:1] not in _FIRST_BYTES:
        return None  # most files: text, .pyc, data
    if header[:4] in _MACHO_THIN:
        return f"{relpath} is a macOS (Mach-O) binary"
    if header[:4] in _MACHO_FAT and len(header) >= 8 and 0 < int.from_bytes(header[4:8], "big") < _MAX_FAT_ARCHES:
        return f"{relpath} is a macOS (Mach-O universal) binary"
    if not header.startswith((_ELF_MAGIC, b"MZ")):
        return None
    with open(path, "rb") as handle:  # ELF and PE are read further: version needs, the PE signature
        if header.startswith(_ELF_MAGIC):
            return _elf_problem(handle, header, relpath, target)
        if _is_pe_library(handle, header):
            return f"{relpath} is a Windows (PE) binary"
    return None


def _regular_files(root: Path) -> Iterator[Tuple[str, str]]:
    """(path, posix path relative to ``root``) of every regular file, sorted; links are not followed
    (a link's target is a file of the tree, audited under its own name)."""
    stack = [(str(root), "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as scanned:
            entries = sorted(scanned, key=lambda entry: entry.name)
        below = []
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                below.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                yield entry.path, f"{prefix}{entry.name}"
        stack.extend(reversed(below))  # sub-directories next, in name order


def audit_tree(root: Path, target: LambdaTarget) -> None:
    """Raise :class:`PlatformMismatchError` listing every wheel tag or binary that does not fit."""
    problems = wheel_tag_problems(root, target)
    for path, relpath in _regular_files(root):
        problem = native_file_problem(path, relpath, target)
        if problem:
            problems.append(problem)
    if problems:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise PlatformMismatchError(
            f"Installed files do not match the target runtime {target.describe()}: {shown}. "
            "Pin versions that publish wheels for this runtime, or check `python-version` and `architecture`."
        )
