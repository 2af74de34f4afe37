"""Installed distributions of a staged tree, read from their ``*.dist-info`` metadata.

Exclusion works on these, not on file-name prefixes: ``PyYAML`` owns ``yaml/``, ``_yaml/`` and
``PyYAML.libs/``; ``pip`` does not own ``pipe.py``.
"""

from __future__ import annotations

import csv
import io
import posixpath
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import FrozenSet, List, Optional, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from .names import normalize_name


@dataclass(frozen=True)
class InstalledDistribution:
    """One ``*.dist-info`` and the files (posix, relative to the tree root) it owns."""

    name: str
    version: str
    dist_info: str
    files: FrozenSet[str]
    requires: Tuple[str, ...]

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)


def _read_text(path: Path) -> Optional[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _record_paths(record_text: str) -> List[str]:
    """RECORD rows as tree-relative posix paths; rows outside the tree (pip's ``../../bin/x``) are dropped."""
    paths = []
    for row in csv.reader(io.StringIO(record_text)):
        if not row or not row[0]:
            continue
        path = posixpath.normpath(row[0].replace("\\", "/"))
        if path.startswith("../") or path == ".." or posixpath.isabs(path):
            continue
        paths.append(path)
    return paths


def _top_level_paths(root: Path, dist_info: Path) -> List[str]:
    """Fallback when RECORD is missing: everything under the names listed in ``top_level.txt``."""
    text = _read_text(dist_info / "top_level.txt") or ""
    paths: List[str] = []
    for top in filter(None, (line.strip() for line in text.splitlines())):
        package = root / top
        if package.is_dir():
            paths.extend(p.relative_to(root).as_posix() for p in package.rglob("*") if not p.is_dir())
        paths.extend(p.name for p in root.glob(f"{top}.*") if p.is_file() and p.suffix in (".py", ".so", ".pyd"))
    return paths


def _requirement_names(metadata_requires: List[str]) -> Tuple[str, ...]:
    """Names of unconditional-on-extras ``Requires-Dist`` entries."""
    names = []
    for line in metadata_requires:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        names.append(requirement.name)
    return tuple(sorted(set(names), key=normalize_name))


def read_distribution(root: Path, dist_info: Path) -> InstalledDistribution:
    metadata = HeaderParser().parsestr(_read_text(dist_info / "METADATA") or "")
    stem = dist_info.name[: -len(".dist-info")]
    fallback_name, _, fallback_version = stem.partition("-")
    record = _read_text(dist_info / "RECORD")
    owned = set(_record_paths(record) if record is not None else _top_level_paths(root, dist_info))
    owned.update(p.relative_to(root).as_posix() for p in dist_info.rglob("*") if not p.is_dir())
    return InstalledDistribution(
        name=metadata.get("Name") or fallback_name,
        version=metadata.get("Version") or fallback_version,
        dist_info=dist_info.name,
        files=frozenset(owned),
        requires=_requirement_names(metadata.get_all("Requires-Dist") or []),
    )


def scan_distributions(root: Path) -> List[InstalledDistribution]:
    """Every distribution installed directly in ``root``, sorted by normalised name."""
    found = [read_distribution(root, path) for path in root.glob("*.dist-info") if path.is_dir()]
    return sorted(found, key=lambda dist: dist.normalized_name)
