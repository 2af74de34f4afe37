"""Reading the user's text files (pyproject.toml, locks, requirements) into one-paragraph errors.

``open()`` and ``bytes.decode()`` report a directory, a binary file or a missing permission as
an ``OSError``/``UnicodeDecodeError`` that does not say which file or what to do; every reader
of a user's file goes through :func:`read_user_text` so the message names both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Type

from .errors import LayerError


def read_user_text(path: Path, *, error: Type[LayerError], fix: str) -> str:
    """``path``'s text (UTF-8), or ``error`` naming the file, what is wrong with it and ``fix``."""
    if Path(path).is_dir():  # IsADirectoryError on POSIX, PermissionError on Windows
        raise error(f"{path} is a directory, not a file. {fix}")
    try:
        data = Path(path).read_bytes()
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
