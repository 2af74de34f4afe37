"""Pins from ``poetry.lock``: the poetry-plugin-export walk, Poetry's content hash and sources.

Read without Poetry (the console script and the API need no Poetry installed); the Poetry
adapter checks freshness with Poetry's own locker and hands the parsed lock here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from shared_core.errors import LockError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.graph import DependencyGraph
from shared_core.pins.indexes import PackageIndex
from shared_core.pins.local import local_digest, local_pin
from shared_core.pins.model import Pin, marker_applies
from shared_core.pins.source import (
    GROUP_AND_EXTRA_SETTINGS,
    PinSource,
    Resolution,
    pyproject_direct_dependencies,
    requirement_name,
)
from shared_core.support.digests import digest_text
from shared_core.support.names import normalize_name

MAIN_GROUP = "main"
#: The lock format this module reads (Poetry 2 writes 2.1); a newer major one is refused, as Poetry refuses it.
SUPPORTED_LOCK_MAJOR = 2


def select_groups(with_groups: Sequence[str], without_groups: Sequence[str], only_groups: Sequence[str]) -> Set[str]:
    """Poetry's rule: ``--only`` is exact; otherwise main, plus ``--with``, minus ``--without``."""
    if only_groups:
        return {normalize_name(group) for group in only_groups}
    selected = {MAIN_GROUP} | {normalize_name(group) for group in with_groups}
    return selected - {normalize_name(group) for group in without_groups}


def defined_groups(pyproject: Mapping[str, Any], lock_data: Mapping[str, Any]) -> Set[str]:
    """Every dependency group the project defines (``[tool.poetry.group.*]``, ``[dependency-groups]``) or
    its lock records, main included (normalised): what ``--with`` may name and ``--all-groups`` means."""
    groups = {MAIN_GROUP}
    groups |= {normalize_name(name) for name in pyproject.get("tool", {}).get("poetry", {}).get("group", {})}
    groups |= {normalize_name(name) for name in pyproject.get("dependency-groups", {})}
    for package in lock_data.get("package", []):
        groups |= {normalize_name(group) for group in package.get("groups", [MAIN_GROUP])}
    return groups


def poetry_content_hash(pyproject: Mapping[str, Any], *, with_dependency_groups: bool = True) -> str:
    """Poetry 2's ``content-hash`` of pyproject.toml (``Locker._get_content_hash``), to spot a stale lock."""
    project = pyproject.get("project", {})
    groups = pyproject.get("dependency-groups", {}) if with_dependency_groups else {}
    tool_poetry = pyproject.get("tool", {}).get("poetry", {})
    legacy_keys = ("dependencies", "source", "extras", "dev-dependencies")
    relevant_project = {k: project[k] for k in ("requires-python", "dependencies", "optional-dependencies") if project.get(k) is not None}
    relevant_poetry: Dict[str, Any] = {}
    for key in (*legacy_keys, "group"):
        data = tool_poetry.get(key)
        if data is None and (key not in legacy_keys or relevant_project or groups):
            continue
        relevant_poetry[key] = data
    content: Dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def poetry_extras(pyproject: Mapping[str, Any], lock_data: Mapping[str, Any]) -> Tuple[str, ...]:
    """Every extra the project defines: PEP 621 ``optional-dependencies`` or ``[tool.poetry.extras]``."""
    names = set(pyproject.get("project", {}).get("optional-dependencies", {}))
    names |= set(pyproject.get("tool", {}).get("poetry", {}).get("extras", {}))
    names |= set(lock_data.get("extras", {}))
    return tuple(sorted(normalize_name(name) for name in names))


def check_poetry_lock(lock_path: Path, lock_data: Mapping[str, Any], pyproject: Optional[Mapping[str, Any]]) -> None:
    """Refuse a lock Poetry 1 wrote (no per-group markers) or, when ``pyproject`` is given, a stale one."""
    metadata = lock_data.get("metadata")
    if not isinstance(metadata, Mapping) or "lock-version" not in metadata:
        what = "is empty" if not lock_data else "has no [metadata] table with a lock-version"
        raise LockError(
            f"{lock_path} {what}, so it is not a lock Poetry wrote (or it was cut short). "
            "Run `poetry lock` to regenerate it."
        )
    version = str(metadata["lock-version"])
    parsed = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    if len(parsed) != 2:
        raise LockError(f"{lock_path} has lock-version {version!r}, which is not a version Poetry writes. Run `poetry lock`.")
    if parsed < (2, 1):
        raise LockError(
            f"{lock_path} has lock-version {version}, written by Poetry before 2.0; it does not record "
            "groups and markers per package. Run `poetry lock` with Poetry 2 to update it."
        )
    if parsed[0] > SUPPORTED_LOCK_MAJOR:
        raise LockError(
            f"{lock_path} has lock-version {version}, written by a newer Poetry than this tool reads (lock format "
            f"{SUPPORTED_LOCK_MAJOR}.x). Its meaning may differ, so it is not guessed at: update lambda-layer-build, "
            "or run `poetry lock` with Poetry 2."
        )
    if pyproject is not None:
        recorded = lock_data.get("metadata", {}).get("content-hash")
        hashes = {poetry_content_hash(pyproject), poetry_content_hash(pyproject, with_dependency_groups=False)}
        if recorded not in hashes:
            raise LockError(
                f"pyproject.toml changed significantly since {lock_path.name} was last generated. "
                "Run `poetry lock` to fix the lock file."
            )


def poetry_lock_pins(
    lock_data: Mapping[str, Any], target: LambdaTarget, groups: Set[str], extras: Sequence[str], *, origin: str,
    project_root: Path = Path("."),
) -> List[Pin]:
    """The poetry-plugin-export walk over a 2.1 lock: selected groups, markers for the target.

    A package from a source of its own (``source.url``) is bound to that index; one from a path
    (``directory`` or ``file``) is a local distribution, relative paths from ``project_root``.
    """
    pins: List[Pin] = []
    for number, package in enumerate(lock_data.get("package", []), start=1):
        name, version = _name_and_version(package, number, origin)
        package_groups = {normalize_name(g) for g in package.get("groups", [MAIN_GROUP])}
        chosen = package_groups & groups
        if not chosen:
            continue
        markers = package.get("markers")
        if markers is None or isinstance(markers, str):
            group_markers = [markers]
        else:
            group_markers = [markers.get(group) for group in sorted(chosen)]
        where = f" for {name} in {origin}"
        if not any(marker_applies(marker, target, extras, where=where) for marker in group_markers):
            continue
        source = package.get("source", {})
        kind = source.get("type")
        if kind in ("directory", "file"):
            pins.append(local_pin(name, (project_root / str(source.get("url", ""))).resolve(), origin=origin))
            continue
        if kind not in (None, "legacy"):
            raise LockError(
                f"{name} {version} comes from a {kind} source ({origin}); a layer is built from index releases "
                "and local paths only. Publish it to an index (or build a wheel and point a path dependency at "
                "it) and lock again."
            )
        hashes = tuple(sorted(f["hash"] for f in package.get("files", []) if f.get("hash")))
        index = source.get("url") if kind == "legacy" and isinstance(source.get("url"), str) else None
        pins.append(Pin(name, version, hashes, index=index))
    return pins


def _name_and_version(package: Any, number: int, origin: str) -> Tuple[str, str]:
    """A locked package's name and version, or a LockError saying which entry lacks which key."""
    if not isinstance(package, Mapping):
        raise LockError(f"{origin}: [[package]] entry {number} is not a table. Run `poetry lock` to regenerate it.")
    for key in ("name", "version"):
        if not isinstance(package.get(key), str) or not package[key]:
            label = f"[[package]] entry {number}" + (f" ({package['name']})" if isinstance(package.get("name"), str) else "")
            raise LockError(
                f"{origin}: {label} has no `{key}`, so the lock is damaged or was edited by hand. "
                "Run `poetry lock` to regenerate it."
            )
    return package["name"], package["version"]


def poetry_sources(pyproject: Mapping[str, Any], credentials: Optional[Mapping[str, Tuple[Optional[str], Optional[str]]]] = None) -> Tuple[PackageIndex, ...]:
    """``[[tool.poetry.source]]`` as indexes; credentials from the adapter or POETRY_HTTP_BASIC_* variables."""
    indexes: List[PackageIndex] = []
    for source in pyproject.get("tool", {}).get("poetry", {}).get("source", []):
        name, url = source.get("name"), source.get("url")
        if not name or not url:
            continue
        priority = source.get("priority", "primary")  # explicit sources still serve their locked packages
        env_name = name.upper().replace("-", "_").replace(".", "_")
        username, password = (credentials or {}).get(name, (None, None))
        username = username or os.environ.get(f"POETRY_HTTP_BASIC_{env_name}_USERNAME")
        password = password or os.environ.get(f"POETRY_HTTP_BASIC_{env_name}_PASSWORD")
        indexes.append(PackageIndex(name, url, username, password, default=priority == "primary"))
    return tuple(indexes)


@dataclass
class PoetryLockSource(PinSource):
    settings = GROUP_AND_EXTRA_SETTINGS

    lock_path: Path
    lock_data: Mapping[str, Any]
    groups: Set[str]
    extras: Tuple[str, ...]
    indexes: Tuple[PackageIndex, ...] = ()
    #: The project's pyproject data: its direct dependencies root the graph that prunes orphans.
    pyproject: Optional[Mapping[str, Any]] = None

    @property
    def origin(self) -> str:  # type: ignore[override]
        return f"{self.lock_path.name} (groups: {', '.join(sorted(self.groups))}" + (
            f"; extras: {', '.join(self.extras)})" if self.extras else ")"
        )

    def fingerprint(self) -> Dict[str, Any]:
        return {
            "lock": digest_text(json.dumps(self.lock_data, sort_keys=True, default=str)),
            "groups": sorted(self.groups),
            "extras": sorted(self.extras),
            "indexes": [index.url for index in self.indexes],
            "local": {name: local_digest(path) for name, path in sorted(poetry_local_paths(self.lock_data, self.lock_path.parent).items())},
        }

    @property
    def input_file(self) -> Path:
        return self.lock_path

    def resolve(self, target: LambdaTarget) -> Resolution:
        pins = poetry_lock_pins(self.lock_data, target, self.groups, self.extras, origin=self.lock_path.name,
                                project_root=self.lock_path.parent)
        graph = poetry_lock_graph(self.lock_data, self.pyproject) if self.pyproject is not None else None
        requesters = {pin.normalized_name for pin in pins}
        return Resolution(
            pins, (), graph, known_indexes=self.indexes,
            extras=poetry_lock_extras(self.lock_data, self.pyproject or {}, requesters),
            fix="run `poetry lock` so that it records every dependency",
        )


def poetry_local_paths(lock_data: Mapping[str, Any], project_root: Path) -> Dict[str, Path]:
    """``{name: path}`` of the lock's directory and file packages, for the fingerprint."""
    found: Dict[str, Path] = {}
    for package in lock_data.get("package", []):
        source = package.get("source", {}) if isinstance(package, Mapping) else {}
        if source.get("type") in ("directory", "file") and isinstance(source.get("url"), str):
            path = (project_root / source["url"]).resolve()
            if path.exists():
                found[normalize_name(str(package.get("name", "")))] = path
    return found


def poetry_lock_extras(lock_data: Mapping[str, Any], pyproject: Mapping[str, Any], requesters: Set[str]) -> Dict[str, FrozenSet[str]]:
    """``{normalised name: extras}`` that the project and the packages in ``requesters`` ask of their dependencies."""
    wanted: Dict[str, Set[str]] = {}
    project = pyproject.get("project", {})
    for spec in project.get("dependencies", []) if isinstance(project, Mapping) else []:
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            continue
        if requirement.extras:
            wanted.setdefault(normalize_name(requirement.name), set()).update(requirement.extras)
    for name, spec in pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).items():
        if isinstance(spec, Mapping) and spec.get("extras"):
            wanted.setdefault(normalize_name(name), set()).update(spec["extras"])
    for package in lock_data.get("package", []):
        if not isinstance(package, Mapping) or normalize_name(str(package.get("name", ""))) not in requesters:
            continue
        for name, spec in package.get("dependencies", {}).items():
            if isinstance(spec, Mapping) and spec.get("extras"):
                wanted.setdefault(normalize_name(name), set()).update(spec["extras"])
    return {name: frozenset(extras) for name, extras in wanted.items()}


def poetry_lock_graph(lock_data: Mapping[str, Any], pyproject: Mapping[str, Any]) -> DependencyGraph:
    """Edges from each locked package's ``dependencies`` and ``extras``; roots from pyproject.toml."""
    edges: Dict[str, Set[str]] = {}
    for package in lock_data.get("package", []):
        children = set(package.get("dependencies", {}))
        for specs in package.get("extras", {}).values():
            children |= {name for name in map(requirement_name, specs) if name}
        edges.setdefault(package["name"], set()).update(children)
    return DependencyGraph.build(pyproject_direct_dependencies(pyproject), edges)
