"""Pins from ``uv.lock``: ``uv export --frozen`` for the target, after checking the lock is current.

A uv workspace has one lock, at its root: a member is built from that lock, from the member's
folder or with the member named. Workspace members and path dependencies are installed as
regular distributions built from their folders, and a package the lock records from an index
other than PyPI is installed from that index alone (the export drops where each came from).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

from shared_core.errors import ConfigError, LockError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.graph import DependencyGraph
from shared_core.pins.indexes import is_pypi, uv_project_indexes
from shared_core.pins.local import local_digest
from shared_core.pins.model import Pin
from shared_core.pins.requirements_text import exact_pins, parse_requirements_text
from shared_core.pins.source import GROUP_AND_EXTRA_SETTINGS, PinSource, Resolution, pyproject_direct_dependencies
from shared_core.support.digests import digest_text
from shared_core.support.names import normalize_name
from shared_core.support.toolchain import find_uv, run_tool
from shared_core.support.user_files import read_user_toml

UV_LOCK_FIX = "Run `uv lock` to regenerate it."
#: What a uv.lock records for a package that is not an index release.
_LOCAL_SOURCES = ("directory", "editable", "path", "virtual")


def _members(root: Path, workspace: Mapping[str, Any]) -> List[Path]:
    """The member folders a ``[tool.uv.workspace]`` table names (globs, minus ``exclude``)."""
    excluded = [pattern for pattern in workspace.get("exclude", []) if isinstance(pattern, str)]
    found: List[Path] = []
    for pattern in workspace.get("members", []):
        if not isinstance(pattern, str):
            continue
        for path in sorted(root.glob(pattern)):
            relative = path.relative_to(root).as_posix()
            if path.is_dir() and (path / "pyproject.toml").is_file() and not any(fnmatch.fnmatch(relative, e) for e in excluded):
                found.append(path.resolve())
    return found


def lock_root(project_root: Path) -> Path:
    """Where the project's uv.lock lives: the project itself, or the root of the uv workspace it is a member of."""
    project_root = project_root.resolve()
    if (project_root / "uv.lock").is_file():
        return project_root
    for directory in project_root.parents:
        pyproject = directory / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            _, data = read_user_toml(pyproject, error=LockError, fix="")
        except LockError:
            return project_root
        workspace = data.get("tool", {}).get("uv", {}).get("workspace")
        if isinstance(workspace, Mapping) and project_root in _members(directory, workspace):
            return directory
    return project_root


@dataclass
class UvLockSource(PinSource):
    settings = GROUP_AND_EXTRA_SETTINGS

    project_root: Path
    extras: Tuple[str, ...] = ()
    all_extras: bool = False
    groups: Tuple[str, ...] = ()
    without_groups: Tuple[str, ...] = ()
    only_groups: Tuple[str, ...] = ()
    all_groups: bool = False
    #: pyproject.toml as the caller already parsed it (None: read here, for the lock check).
    pyproject: Optional[Mapping[str, Any]] = field(default=None, repr=False, compare=False)
    _root: Path = field(init=False, repr=False, compare=False)
    _text: str = field(init=False, repr=False, compare=False)
    _lock: Dict[str, Any] = field(init=False, repr=False, compare=False)

    @property
    def origin(self) -> str:  # type: ignore[override]
        if self._root == self.project_root.resolve():
            return "uv.lock"
        return f"the workspace's uv.lock ({self._root / 'uv.lock'})"

    def fingerprint(self) -> Dict[str, Any]:
        return {
            "lock": digest_text(self._text),
            "extras": sorted(self.extras),
            "all_extras": self.all_extras,
            "groups": [sorted(self.groups), sorted(self.without_groups), sorted(self.only_groups), self.all_groups],
            "local": {name: local_digest(path) for name, path in sorted(self._local_paths().items())},
        }

    @property
    def input_file(self) -> Path:
        return self._root / "uv.lock"

    def __post_init__(self) -> None:
        # uv.lock is read once, for the check, the fingerprint and the graph; checked before any
        # fingerprint is compared: an "up to date" zip from a stale lock is still stale.
        self._root = lock_root(self.project_root)
        lock_path = self._root / "uv.lock"
        if not lock_path.is_file():
            where = "" if self._root == self.project_root.resolve() else f" (the root of the workspace {self.project_root} belongs to)"
            raise LockError(f"{lock_path} does not exist. Run `uv lock` in {self._root}{where} first.")
        self._text, self._lock = read_user_toml(lock_path, error=LockError, fix=UV_LOCK_FIX)
        if self.pyproject is None:  # the Python API's own construction; the pipeline hands the project's
            _, self.pyproject = read_user_toml(self.project_root / "pyproject.toml", error=ConfigError,
                                               fix="Fix pyproject.toml, a UTF-8 TOML file.")
        check_uv_lock_data(self._lock, self.pyproject)

    def _project_name(self) -> str:
        return normalize_name(str((self.pyproject or {}).get("project", {}).get("name", "")))

    def _local_paths(self) -> Dict[str, Path]:
        """Local packages of the lock (workspace members, path dependencies) but the project itself."""
        found: Dict[str, Path] = {}
        for package in self._lock.get("package", []):
            source = package.get("source", {}) if isinstance(package, Mapping) else {}
            kind = next((key for key in _LOCAL_SOURCES if key in source), None)
            name = normalize_name(str(package.get("name", "")))
            if kind is None or kind == "virtual" or name == self._project_name():
                continue
            path = (self._root / str(source[kind])).resolve()
            if path.exists():
                found[name] = path
        return found

    def _registries(self) -> Dict[str, str]:
        """``{normalised name: registry}`` for packages from an index other than PyPI."""
        found: Dict[str, str] = {}
        for package in self._lock.get("package", []):
            registry = package.get("source", {}).get("registry") if isinstance(package, Mapping) else None
            if isinstance(registry, str) and not is_pypi(registry):
                local = "://" not in registry
                found[normalize_name(str(package.get("name", "")))] = str((self._root / registry).resolve()) if local else registry
        return found

    def resolve(self, target: LambdaTarget) -> Resolution:
        args = [
            "export", "--frozen", "--no-default-groups", "--no-emit-project", "--no-editable", "--no-header",
            "--no-annotate", "--format", "requirements-txt", "--project", str(self.project_root),
        ]
        args += [arg for extra in self.extras for arg in ("--extra", extra)]
        args += ["--all-extras"] if self.all_extras else []
        args += [arg for group in self.groups for arg in ("--group", group)]
        args += [arg for group in self.without_groups for arg in ("--no-group", group)]
        args += [arg for group in self.only_groups for arg in ("--only-group", group)]
        args += ["--all-groups"] if self.all_groups else []
        completed = run_tool([find_uv(), *args], cwd=self.project_root, what="uv export", error=LockError)
        lines = parse_requirements_text(completed.stdout, origin="uv.lock")
        pins = exact_pins(lines, target, origin="uv.lock", base=self._root)
        if pins is None:  # pragma: no cover - uv export pins index releases exactly and names local ones by path
            raise LockError("uv export gave a requirement that is neither an exact pin nor a local path. Run `uv lock`.")
        registries = self._registries()
        pins = [Pin(pin.name, pin.version, pin.hashes, index=registries.get(pin.normalized_name), path=pin.path)
                for pin in pins]
        return Resolution(
            pins, (), uv_lock_graph(self._lock), known_indexes=uv_project_indexes(self.pyproject or {}),
            extras=uv_lock_extras(self._lock, {pin.normalized_name for pin in pins} | {self._project_name()}),
            fix=f"run `uv lock` in {self._root} so that it records every dependency",
        )


def uv_lock_extras(lock: Mapping[str, Any], requesters: Set[str]) -> Dict[str, FrozenSet[str]]:
    """``{normalised name: extras}`` that the packages in ``requesters`` ask of their dependencies."""
    wanted: Dict[str, Set[str]] = {}
    for package in lock.get("package", []):
        if not isinstance(package, Mapping) or normalize_name(str(package.get("name", ""))) not in requesters:
            continue
        lists = [package.get("dependencies", []), *package.get("optional-dependencies", {}).values()]
        for dependency in (dep for deps in lists for dep in deps if isinstance(dep, Mapping)):
            extras = dependency.get("extra", [])
            if extras and isinstance(dependency.get("name"), str):
                wanted.setdefault(normalize_name(dependency["name"]), set()).update(extras)
    return {name: frozenset(extras) for name, extras in wanted.items()}


def check_uv_lock_data(lock: Mapping[str, Any], pyproject: Mapping[str, Any]) -> None:
    """Refuse a uv.lock that does not list the dependencies pyproject.toml declares now.

    ``uv export --frozen`` trusts the lock as it is; comparing the names the lock recorded for the
    project with pyproject.toml catches the common slip (a dependency added without `uv lock`)
    without resolving anything.
    """
    name = normalize_name(str(pyproject.get("project", {}).get("name", "")))
    for package in lock.get("package", []):
        if normalize_name(package.get("name", "")) != name or not {"virtual", "editable"} & set(package.get("source", {})):
            continue
        metadata = package.get("metadata", {})
        recorded = {normalize_name(dep["name"]) for dep in metadata.get("requires-dist", []) if "name" in dep}
        recorded |= {normalize_name(dep["name"]) for deps in metadata.get("requires-dev", {}).values()
                     for dep in deps if "name" in dep}
        declared = {normalize_name(dep) for dep in pyproject_direct_dependencies(pyproject)}
        if recorded != declared:
            changed = ", ".join(sorted(recorded ^ declared))
            raise LockError(
                f"pyproject.toml changed since uv.lock was last generated ({changed}). Run `uv lock` to update it."
            )
        return
    projects = sorted(str(package["name"]) for package in lock.get("package", [])
                      if isinstance(package.get("name"), str) and {"virtual", "editable"} & set(package.get("source", {})))
    workspace = "workspace" in pyproject.get("tool", {}).get("uv", {})
    if projects and not name and not workspace:  # e.g. an emptied pyproject.toml: the lock would export nothing
        raise LockError(
            f"pyproject.toml declares no [project] (and no [tool.uv.workspace]), but uv.lock was generated for "
            f"{', '.join(projects)}. Restore pyproject.toml, or run `uv lock` if the project really has no "
            "dependencies."
        )


def uv_lock_graph(lock: Mapping[str, Any]) -> Optional[DependencyGraph]:
    """Edges from uv.lock's ``dependencies``/``optional-dependencies``; roots: the project's own entries."""
    edges: Dict[str, Set[str]] = {}
    roots: Set[str] = set()
    for package in lock.get("package", []):
        lists = [package.get("dependencies", []), *list(package.get("optional-dependencies", {}).values())]
        lists += list(package.get("dev-dependencies", {}).values())
        children = {dep["name"] for deps in lists for dep in deps if isinstance(dep, dict) and "name" in dep}
        source = package.get("source", {})
        if any(key in source for key in ("virtual", "editable")):  # the project (or a workspace member)
            roots |= children
        if isinstance(package.get("name"), str):
            edges.setdefault(package["name"], set()).update(children)
    return DependencyGraph.build(roots, edges) if roots else None
