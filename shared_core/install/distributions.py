"""Installed distributions of a staged tree, read from their ``*.dist-info`` metadata.

Exclusion and slimming work on these, not on file-name prefixes: ``PyYAML`` owns ``yaml/``,
``_yaml/`` and ``PyYAML.libs/``; ``pip`` does not own ``pipe.py``; a ``bin`` package is not a
script. The full ``Requires-Dist`` strings are kept for the layer's dependency-closure check.
"""

from __future__ import annotations

import configparser
import csv
import functools
import io
import posixpath
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import FrozenSet, List, Optional, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from shared_core.support.names import normalize_name

#: Where installers put scripts: ``uv pip install --target`` records them as ``bin/<name>``,
#: ``pip install --target`` as ``../../bin/<name>`` (relative to its scheme's site-packages).
SCRIPTS_DIR = "bin"
_PIP_TARGET_SCRIPTS = "../../bin/"
#: entry_points.txt sections whose names the installer turns into scripts.
_SCRIPT_SECTIONS = ("console_scripts", "gui_scripts")


@functools.lru_cache(maxsize=8192)
def parse_requirement(line: str) -> Optional[Requirement]:
    """A ``Requires-Dist`` line as a Requirement (None when it is not valid PEP 508); parsed once per text."""
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None


@dataclass(frozen=True)
class InstalledDistribution:
    """One ``*.dist-info`` and the files (posix, relative to the tree root) it owns.

    ``requires``: its ``Requires-Dist`` lines as written (markers, specifiers and extras
    included); ``scripts``: the ``bin/`` paths of the scripts its installer generated
    (console and gui entry points, ``*.data/scripts``), whether or not its RECORD lists them.
    """

    name: str
    version: str
    dist_info: str
    files: FrozenSet[str]
    requires: Tuple[str, ...]
    scripts: FrozenSet[str] = frozenset()

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    @property
    def requirement_names(self) -> Tuple[str, ...]:
        """Names of the requirements that do not depend on an extra, sorted (what excluding breaks)."""
        return _requirement_names(self.requires)


def _read_text(path: Path) -> Optional[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _record_rows(record_text: str) -> List[str]:
    """RECORD's paths, posix and normalised, as the installer wrote them (some may leave the tree)."""
    return [
        posixpath.normpath(row[0].replace("\\", "/"))
        for row in csv.reader(io.StringIO(record_text)) if row and row[0]
    ]


def _inside_tree(path: str) -> bool:
    return not (path.startswith("../") or path == ".." or posixpath.isabs(path))


def _entry_point_scripts(text: Optional[str]) -> List[str]:
    """The script names an ``entry_points.txt`` declares (an unreadable one declares none)."""
    if not text:
        return []
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # script names are case-sensitive
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    return [name.strip() for section in _SCRIPT_SECTIONS if parser.has_section(section) for name in parser.options(section)]


def _scripts(rows: List[str], owned: FrozenSet[str], entry_points: Optional[str]) -> FrozenSet[str]:
    """``bin/<name>`` for each script: pip's rows outside the tree, and the entry points' names.

    A distribution that ships ``bin/__init__.py`` has a *package* called ``bin``: its own files
    there are modules, so only its declared entry points count as scripts.
    """
    names = {row[len(_PIP_TARGET_SCRIPTS):] for row in rows if row.startswith(_PIP_TARGET_SCRIPTS)}
    names.update(_entry_point_scripts(entry_points))
    scripts = {f"{SCRIPTS_DIR}/{name}" for name in names if name and "/" not in name}
    if f"{SCRIPTS_DIR}/__init__.py" not in owned:
        # uv records scripts inside the tree: every direct child of bin/ it lists is one
        scripts.update(path for path in owned if posixpath.dirname(path) == SCRIPTS_DIR)
    return frozenset(scripts)


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


@functools.lru_cache(maxsize=4096)
def _requirement_names(requires: Tuple[str, ...]) -> Tuple[str, ...]:
    """Names of unconditional-on-extras ``Requires-Dist`` entries."""
    names = []
    for line in requires:
        requirement = parse_requirement(line)
        if requirement is None:
            continue
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        names.append(requirement.name)
    return tuple(sorted(set(names), key=normalize_name))


def _distribution(dist_info: str, metadata_text: str, files: FrozenSet[str], scripts: FrozenSet[str]) -> InstalledDistribution:
    """A distribution from its ``*.dist-info`` name, its METADATA text and the files it owns."""
    metadata = HeaderParser().parsestr(metadata_text)
    fallback_name, _, fallback_version = dist_info[: -len(".dist-info")].partition("-")
    return InstalledDistribution(
        name=metadata.get("Name") or fallback_name,
        version=metadata.get("Version") or fallback_version,
        dist_info=dist_info,
        files=files,
        requires=tuple(line.strip() for line in metadata.get_all("Requires-Dist") or ()),
        scripts=scripts,
    )


def read_distribution(root: Path, dist_info: Path) -> InstalledDistribution:
    record = _read_text(dist_info / "RECORD")
    rows = _record_rows(record) if record is not None else []
    owned = set(filter(_inside_tree, rows) if record is not None else _top_level_paths(root, dist_info))
    owned.update(p.relative_to(root).as_posix() for p in dist_info.rglob("*") if not p.is_dir())
    files = frozenset(owned)
    return _distribution(dist_info.name, _read_text(dist_info / "METADATA") or "", files,
                         _scripts(rows, files, _read_text(dist_info / "entry_points.txt")))


def recorded_distribution(dist_info: str, metadata_text: str, record_text: str) -> InstalledDistribution:
    """A distribution of a written layer, known by its METADATA and RECORD texts: it owns exactly
    what its RECORD lists (a layer's RECORDs are rewritten to list its files, see pack/record.py)."""
    return _distribution(dist_info, metadata_text, frozenset(filter(_inside_tree, _record_rows(record_text))), frozenset())


def scan_distributions(root: Path) -> List[InstalledDistribution]:
    """Every distribution installed directly in ``root``, sorted by normalised name."""
    found = [read_distribution(root, path) for path in root.glob("*.dist-info") if path.is_dir()]
    return sorted(found, key=lambda dist: dist.normalized_name)
