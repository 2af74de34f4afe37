"""Reading a built layer back: what tests assert on."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Dict, List, Set, Tuple

from tests.helpers.wheelfactory import record_hash


def member_sizes(layer: Path) -> Dict[str, int]:
    """Each member's unzipped size, by name."""
    with zipfile.ZipFile(layer) as archive:
        return {info.filename: info.file_size for info in archive.infolist()}


def bytes_under(sizes: Dict[str, int], *prefixes: str) -> int:
    """The unzipped bytes of the members under any of ``prefixes``."""
    return sum(size for name, size in sizes.items() if name.startswith(prefixes))


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


def record_check(zip_path: Path) -> Tuple[List[str], Dict[str, int]]:
    """Read every ``*.dist-info/RECORD`` of a layer back against the zip itself.

    Returns (lines that do not match the zip: a missing file, a wrong sha256 or size, a row for a
    file outside ``python/``), {zip member: how many RECORDs list it} for every member.
    """
    wrong: List[str] = []
    with zipfile.ZipFile(zip_path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    listed = {name: 0 for name in members}
    for name, data in members.items():
        if not name.endswith(".dist-info/RECORD"):
            continue
        for row in csv.reader(io.StringIO(data.decode("utf-8"))):
            path, digest, size = row
            member = f"python/{path}"
            if member not in members:
                wrong.append(f"{name}: {path} is not in the zip")
                continue
            listed[member] += 1
            if member == name:
                if (digest, size) != ("", ""):
                    wrong.append(f"{name}: its own row states {digest!r}, {size!r}")
                continue
            expected = record_hash(members[member])
            if (digest, size) != (expected, str(len(members[member]))):
                wrong.append(f"{name}: {path} states {digest},{size}; the zip holds {expected},{len(members[member])}")
    return wrong, listed
