"""The user cache directory every cache of ours lives under (bytecode, compressed zip members).

One root, so one environment variable moves or disables all of them and one ``rm -rf`` clears
them. Everything stored there is an optimisation: each cache checks what it reads and an
unwritable directory only costs speed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cache_dir() -> Path:
    """``LAMBDA_LAYER_CACHE_DIR``, else the platform's user cache directory."""
    configured = os.environ.get("LAMBDA_LAYER_CACHE_DIR")
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lambda-layer-build"
