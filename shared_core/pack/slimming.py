"""Drop what is provably dead weight on Lambda, and nothing that code might need.

Dropped: ``bin/`` console scripts (their shebang names the build machine's Python), installer
leftovers (uv's ``.lock``, ``uv_cache.json``, ``uv_build.json``), and bytecode that is not our unchecked-hash
``.pyc`` for a kept source (the build machine's timestamp ``.pyc`` would be stale under a fixed
zip timestamp and is for the wrong Python anyway). Every ``.dist-info`` and every ``.so`` stays.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Collection

#: What uv leaves in a dist-info about its own cache and builds: machine state, not metadata.
INSTALLER_LEFTOVERS = (".dist-info/uv_cache.json", ".dist-info/uv_build.json")

#: PEP 552 flags word (bytes 4-8 of a .pyc): 0b01 = hash-based, unchecked.
_UNCHECKED_HASH_FLAGS = 0b01


def is_unchecked_hash_pyc(path: Path) -> bool:
    """True for a PEP 552 unchecked-hash ``.pyc``: valid forever, whatever the file timestamps."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(8)
    except OSError:
        return False
    return len(header) == 8 and int.from_bytes(header[4:8], "little") == _UNCHECKED_HASH_FLAGS


def pyc_source(relpath: str) -> str | None:
    """``pkg/__pycache__/mod.cpython-312.pyc`` -> ``pkg/mod.py``; None for a legacy ``.pyc`` beside its source."""
    directory, name = posixpath.split(relpath)
    if posixpath.basename(directory) != "__pycache__":
        return None
    module = name.split(".", 1)[0]
    return posixpath.join(posixpath.dirname(directory), module + ".py")


def slim_reason(relpath: str, source: Path, kept_paths: Collection[str]) -> str | None:
    """Why ``relpath`` is dropped (a short label for the report), or None to keep it."""
    if relpath.startswith("bin/"):
        return "console scripts"
    if relpath == ".lock" or relpath.endswith(INSTALLER_LEFTOVERS):
        return "installer leftovers"
    if relpath.endswith((".pyc", ".pyo")):
        origin = pyc_source(relpath)
        if origin is None or origin not in kept_paths or not is_unchecked_hash_pyc(source):
            return "stale bytecode"
    if "/__pycache__/" in f"/{relpath}" and not relpath.endswith(".pyc"):
        return "stale bytecode"
    return None
