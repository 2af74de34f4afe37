"""Pins from ``uv.lock``: ``uv export --frozen`` for the target, after checking the lock is current."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Set, Tuple

from ..errors import LockError
from ..lambda_runtime import LambdaTarget
from ..names import normalize_name
from ..tools import find_uv, run_tool
from ..user_files import read_user_toml
from .graph import DependencyGraph
from .pin import digest_text
from .requirements_text import exact_pins, parse_requirements_text
from .source import GROUP_AND_EXTRA_SETTINGS, PinSource, Resolution, pyproject_direct_dependencies

UV_LOCK_FIX = "Run `uv lock` to regenerate it."


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
    _text: str = field(init=False, repr=False, compare=False)
    _lock: Dict[str, Any] = field(init=False, repr=False, compare=False)

    @property
    def origin(self) -> str:  # type: ignore[override]
        return "uv.lock"

    def fingerprint(self) -> Dict[str, Any]:
        return {
            "lock": digest_text(self._text),
            "extras": sorted(self.extras),
            "all_extras": self.all_extras,
            "groups": [sorted(self.groups), sorted(self.without_groups), sorted(self.only_groups), self.all_groups],
        }

    def __post_init__(self) -> None:
        # uv.lock is read once, for the check, the fingerprint and the graph; checked before any
        # fingerprint is compared: an "up to date" zip from a stale lock is still stale.
        self._text, self._lock = read_user_toml(self.project_root / "uv.lock", error=LockError, fix=UV_LOCK_FIX)
        if self.pyproject is None:
            from ..config import read_pyproject

            self.pyproject = read_pyproject(self.project_root / "pyproject.toml")
        check_uv_lock_data(self._lock, self.pyproject)

    def resolve(self, target: LambdaTarget) -> Resolution:
        args = [
            "export", "--frozen", "--no-default-groups", "--no-emit-project", "--no-header", "--no-annotate",
            "--format", "requirements-txt", "--project", str(self.project_root),
        ]
        args += [arg for extra in self.extras for arg in ("--extra", extra)]
        args += ["--all-extras"] if self.all_extras else []
        args += [arg for group in self.groups for arg in ("--group", group)]
        args += [arg for group in self.without_groups for arg in ("--no-group", group)]
        args += [arg for group in self.only_groups for arg in ("--only-group", group)]
        args += ["--all-groups"] if self.all_groups else []
        completed = run_tool([find_uv(), *args], cwd=self.project_root, what="uv export", error=LockError)
        lines = parse_requirements_text(completed.stdout, origin="uv.lock")
        pins = exact_pins(lines, target, origin="uv.lock")
        if pins is None:
            raise LockError(
                "uv.lock holds a requirement that is not an index release (a path, URL or editable "
                "dependency); a layer is built from index wheels only. Publish it to an index and run `uv lock`."
            )
        return Resolution(pins, (), uv_lock_graph(self._lock))


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
