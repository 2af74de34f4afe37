"""After installing, prove every wheel and every shared object is for the target runtime.

A wrong-platform ``.so`` fails only at import time on Lambda; this check fails the build instead,
naming the file.
"""

from __future__ import annotations

import os
from email.parser import HeaderParser
from pathlib import Path
from typing import List

from ..errors import PlatformMismatchError
from ..lambda_runtime import LambdaTarget

_ELF_MAGIC = b"\x7fELF"
_MACHO_MAGICS = (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xfe\xed\xfa\xce", b"\xca\xfe\xba\xbe")
_NATIVE_SUFFIXES = (".so", ".pyd", ".dll", ".dylib")


def wheel_tag_problems(root: Path, target: LambdaTarget) -> List[str]:
    problems = []
    for wheel_file in sorted(root.glob("*.dist-info/WHEEL")):
        headers = HeaderParser().parsestr(wheel_file.read_text(encoding="utf-8", errors="replace"))
        tags = headers.get_all("Tag") or []
        if tags and not any(target.accepts_wheel_tag(tag.strip()) for tag in tags):
            problems.append(f"{wheel_file.parent.name} is tagged {', '.join(tags)}")
    return problems


def native_file_problem(path: Path, relpath: str, target: LambdaTarget) -> str | None:
    """Why a native file cannot load on the target, or None (also None for non-native files)."""
    with open(path, "rb") as handle:
        header = handle.read(20)
    if header.startswith(_ELF_MAGIC):
        if len(header) < 20 or header[4] != 2:
            return f"{relpath} is a 32-bit ELF file"
        machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
        if machine != target.elf_machine:
            return f"{relpath} is built for ELF machine {machine}, not {target.machine} ({target.elf_machine})"
        if not target.extension_suffix_ok(os.path.basename(relpath)):
            return f"{relpath} is an extension module for another Python version or machine"
        return None
    if header[:4] in _MACHO_MAGICS and relpath.endswith(_NATIVE_SUFFIXES):
        return f"{relpath} is a macOS (Mach-O) binary"
    if header[:2] == b"MZ" and relpath.endswith(_NATIVE_SUFFIXES):
        return f"{relpath} is a Windows (PE) binary"
    return None


def audit_tree(root: Path, target: LambdaTarget) -> None:
    """Raise :class:`PlatformMismatchError` listing every wheel tag or native file that does not fit."""
    problems = wheel_tag_problems(root, target)
    for directory, _, files in os.walk(root):
        for name in sorted(files):
            if not (name.endswith(_NATIVE_SUFFIXES) or ".so." in name):
                continue
            path = Path(directory, name)
            if path.is_symlink():
                continue
            problem = native_file_problem(path, path.relative_to(root).as_posix(), target)
            if problem:
                problems.append(problem)
    if problems:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise PlatformMismatchError(
            f"Installed files do not match the target runtime {target.describe()}: {shown}. "
            "Pin versions that publish wheels for this runtime, or check `python-version` and `architecture`."
        )
