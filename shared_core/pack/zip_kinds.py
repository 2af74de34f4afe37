"""What a zip of ours is, to a later build that finds one at its output path: it replaces only those.

A layer zip is known by its shape: every member under ``python/`` (the shape of every layer of
Python packages, and of every zip this tool writes for one). A function's code has no such shape,
so a function zip says what it is in its archive comment. Only regular files are read (a FIFO
never blocks), and only the zip's directory (or, for a zip cut short, its first entry).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

from shared_core.lambda_runtime import LAYER_PREFIX
from shared_core.support.user_files import open_regular

#: A zip entry's local header: its signature, and its size up to the entry's name.
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_LOCAL_HEADER_SIZE = 30
#: The function zip's archive comment.
FUNCTION_ZIP_COMMENT = b"lambda-layer-build function zip"


def is_layer_zip(path: Path) -> bool:
    """True when ``path`` is a regular file holding a layer zip, even one cut short.

    A layer zip's directory lists at least one member and only members under ``python/``: the
    shape of every zip this tool writes (an empty layer is refused before writing) and of any
    Lambda layer of Python packages. A zip without a readable directory (a copy or a write cut
    short) is one when its first entry is under ``python/``. Only the directory is read.
    """
    try:
        stream = open_regular(path, follow_symlinks=False)
        if stream is None:
            return False
        with stream:
            return _holds_a_layer(stream)
    except OSError:
        return False


def _holds_a_layer(stream: BinaryIO) -> bool:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
    except (EOFError, ValueError, zipfile.BadZipFile):
        stream.seek(0)
        head = stream.read(_LOCAL_HEADER_SIZE + len(LAYER_PREFIX))
        return head[:4] == _LOCAL_HEADER_SIGNATURE and head[_LOCAL_HEADER_SIZE:] == LAYER_PREFIX.encode()
    return bool(names) and all(name.startswith(LAYER_PREFIX) for name in names)


def is_function_zip(path: Path) -> bool:
    """True when ``path`` is a regular file holding a function zip this tool wrote (its comment says so)."""
    try:
        stream = open_regular(path, follow_symlinks=False)
        if stream is None:
            return False
        with stream, zipfile.ZipFile(stream) as archive:
            return archive.comment == FUNCTION_ZIP_COMMENT
    except (OSError, EOFError, ValueError, zipfile.BadZipFile):
        return False
