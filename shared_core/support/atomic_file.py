"""The small files we write beside the user's outputs (the fingerprint, ``.gitignore``, cache entries).

Each goes to a temporary ``<prefix>*.tmp`` beside its target and is renamed over it, so a reader
never sees half a file and a killed build leaves only a temporary that the next build removes
(``build_lock.TEMPORARY_PATTERNS`` names those prefixes).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(target: Path, data: bytes, *, prefix: str) -> None:
    """Replace ``target`` with ``data``, mode 0644 (mkstemp's 0600 would hide it from the rest of a team or CI)."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):  # a failed clean-up must not hide why the write failed
            os.unlink(temporary)
        raise
