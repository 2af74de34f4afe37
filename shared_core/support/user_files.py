"""Reading the user's text files (pyproject.toml, locks, requirements) into one-paragraph errors.

``open()`` and ``bytes.decode()`` report a directory, a binary file or a missing permission as
an ``OSError``/``UnicodeDecodeError`` that does not say which file or what to do; every reader
of a user's file goes through :func:`read_user_text` so the message names both.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, BinaryIO, Dict, Optional, Tuple, Type

from shared_core.errors import LayerError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib


#: What stands at a path, by ``stat`` file type, for messages (``S_ISREG``: a file).
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def file_kind(mode: int) -> str:
    """``a directory``, ``a FIFO (named pipe)``, ...: what a non-regular ``st_mode`` is, for a message."""
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


def open_regular(path: Path, *, follow_symlinks: bool = True) -> Optional[BinaryIO]:
    """``path`` opened for reading if it is a regular file, else None (a directory, FIFO, socket, device).

    Never waits: opening a FIFO for reading blocks until a writer comes, so the open is
    non-blocking and the type is checked on the open descriptor (nothing can be swapped in
    between). ``follow_symlinks=False``: a symlink raises ``OSError`` (ELOOP). Other ``OSError``
    (missing, no permission) is the caller's to word.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def read_own_json(path: Path) -> Any:
    """The JSON in a file we may have written (a record, a manifest): a regular file itself, not
    through a symlink, never waiting on a FIFO; None when there is none or it is not JSON."""
    try:
        stream = open_regular(path, follow_symlinks=False)
        if stream is None:
            return None
        with stream:
            return json.loads(stream.read())  # JSON is UTF-8, whatever the locale
    except (OSError, ValueError):
        return None


def read_user_text(path: Path, *, error: Type[LayerError], fix: str) -> str:
    """``path``'s text (UTF-8), or ``error`` naming the file, what is wrong with it and ``fix``."""
    if Path(path).is_dir():  # Windows cannot even open one (PermissionError)
        raise error(f"{path} is a directory, not a file. {fix}")
    try:
        stream = open_regular(path)
        if stream is None:  # a FIFO would make the read wait for a writer forever
            raise error(f"{path} is {file_kind(os.stat(path).st_mode)}, not a file. {fix}")
        with stream:
            data = stream.read()
    except PermissionError as exc:
        raise error(f"{path} cannot be read ({exc.strerror}): give this user read access to it.") from None
    except OSError as exc:
        raise error(f"Could not read {path}: {exc.strerror or exc}. {fix}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): it may be a binary "
            f"or corrupted file. {fix}"
        ) from None


def read_user_toml(path: Path, *, error: Type[LayerError], fix: str) -> Tuple[str, Dict[str, Any]]:
    """``path``'s text and its TOML (a lock file), or ``error`` naming the file, what is wrong with it and ``fix``."""
    text = read_user_text(path, error=error, fix=fix)
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path} is not valid TOML ({exc}). {fix}") from None
