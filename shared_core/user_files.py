"""Reading the user's text files (pyproject.toml, locks, requirements) into one-paragraph errors.

``open()`` and ``bytes.decode()`` report a directory, a binary file or a missing permission as
an ``OSError``/``UnicodeDecodeError`` that does not say which file or what to do; every reader
of a user's file goes through :func:`read_user_text` so the message names both.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, Tuple, Type

from .errors import LayerError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib


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


def read_user_toml(path: Path, *, error: Type[LayerError], fix: str) -> Tuple[str, Dict[str, Any]]:
    """``path``'s text and its TOML (a lock file), or ``error`` naming the file, what is wrong with it and ``fix``."""
    text = read_user_text(path, error=error, fix=fix)
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path} is not valid TOML ({exc}). {fix}") from None
