"""Reading a built layer back: what tests assert on."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Set


def names(zip_path: Path) -> Set[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return set(archive.namelist())


def tops(zip_path: Path) -> Set[str]:
    """Top-level importable names and dist-info dirs under ``python/``."""
    return {name.split("/")[1] for name in names(zip_path)}


def dists(zip_path: Path) -> Set[str]:
    """Normalised names of the distributions in the layer (from ``*.dist-info``)."""
    found = set()
    for top in tops(zip_path):
        if top.endswith(".dist-info"):
            found.add(top[: -len(".dist-info")].rsplit("-", 1)[0].replace("_", "-").lower())
    return found
