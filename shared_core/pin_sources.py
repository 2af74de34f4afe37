"""Where the pins come from: poetry.lock, uv.lock, a requirements file, or top-level dependencies.

Each source knows (a) what to fingerprint — the *inputs*, readable in milliseconds, so an
unchanged project is "up to date" without resolving anything — and (b) how to produce the
exact pins for a target runtime.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from .config import LayerConfig
from .errors import LockError
from .indexes import PackageIndex
from .layout import LayerBuildToolEnum
from .names import normalize_name
from .pins import Pin, digest_text, exact_pins, marker_applies, parse_requirements_text
from .pruning import DependencyGraph
from .target import LambdaTarget
from .tools import find_uv, run_tool

MAIN_GROUP = "main"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Resolution:
    """The exact pins for a target, the indexes to fetch them from, and (when known) their graph."""

    pins: List[Pin]
    indexes: Tuple[PackageIndex, ...] = ()
    graph: Optional[DependencyGraph] = None


class PinSource:
    """Interface of every pin source."""

    origin: str

    def fingerprint(self) -> Dict[str, Any]:
        raise NotImplementedError

    def resolve(self, target: LambdaTarget) -> Resolution:
        raise NotImplementedError


def requirement_name(spec: str) -> Optional[str]:
    """The distribution name at the start of a PEP 508 string, or None for anything else."""
    match = _NAME.match(spec.strip()) if isinstance(spec, str) else None
    return match.group(0) if match else None


def pyproject_direct_dependencies(pyproject: Mapping[str, Any]) -> Set[str]:
    """Every name the project depends on directly, in any group or extra (PEP 621, PEP 735, Poetry)."""
    project = pyproject.get("project", {})
    specs: List[Any] = list(project.get("dependencies", []))
    for values in project.get("optional-dependencies", {}).values():
        specs.extend(values)
    for values in pyproject.get("dependency-groups", {}).values():
        specs.extend(values)
    specs.extend(pyproject.get("tool", {}).get("uv", {}).get("dev-dependencies", []))  # uv's legacy dev group
    names = {name for name in map(requirement_name, specs) if name}
    poetry = pyproject.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [group.get("dependencies", {}) for group in poetry.get("group", {}).values()]
    names |= {name for table in tables for name in table if name.lower() != "python"}
    return names


# -- Poetry --------------------------------------------------------------------------------------


def select_groups(with_groups: Sequence[str], without_groups: Sequence[str], only_groups: Sequence[str]) -> Set[str]:
    """Poetry's rule: ``--only`` is exact; otherwise main, plus ``--with``, minus ``--without``."""
    if only_groups:
        return {normalize_name(group) for group in only_groups}
    selected = {MAIN_GROUP} | {normalize_name(group) for group in with_groups}
    return selected - {normalize_name(group) for group in without_groups}


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
    version = str(lock_data.get("metadata", {}).get("lock-version", "1.0"))
    if tuple(int(part) for part in version.split(".")[:2] if part.isdigit()) < (2, 1):
        raise LockError(
            f"{lock_path} has lock-version {version}, written by Poetry before 2.0; it does not record "
            "groups and markers per package. Run `poetry lock` with Poetry 2 to update it."
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
    lock_data: Mapping[str, Any], target: LambdaTarget, groups: Set[str], extras: Sequence[str], *, origin: str
) -> List[Pin]:
    """The poetry-plugin-export walk over a 2.1 lock: selected groups, markers for the target."""
    pins: List[Pin] = []
    for package in lock_data.get("package", []):
        name, version = package["name"], package["version"]
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
        if source.get("type") not in (None, "legacy"):
            raise LockError(
                f"{name} {version} comes from a {source.get('type')} source ({origin}); a layer is built "
                "from index wheels only. Publish it to an index (or build a wheel and serve it from a "
                "source) and lock again."
            )
        hashes = tuple(sorted(f["hash"] for f in package.get("files", []) if f.get("hash")))
        pins.append(Pin(name, version, hashes))
    return pins


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
        }

    def resolve(self, target: LambdaTarget) -> Resolution:
        pins = poetry_lock_pins(self.lock_data, target, self.groups, self.extras, origin=self.lock_path.name)
        graph = poetry_lock_graph(self.lock_data, self.pyproject) if self.pyproject is not None else None
        return Resolution(pins, self.indexes, graph)


def poetry_lock_graph(lock_data: Mapping[str, Any], pyproject: Mapping[str, Any]) -> DependencyGraph:
    """Edges from each locked package's ``dependencies`` and ``extras``; roots from pyproject.toml."""
    edges: Dict[str, Set[str]] = {}
    for package in lock_data.get("package", []):
        children = set(package.get("dependencies", {}))
        for specs in package.get("extras", {}).values():
            children |= {name for name in map(requirement_name, specs) if name}
        edges.setdefault(package["name"], set()).update(children)
    return DependencyGraph.build(pyproject_direct_dependencies(pyproject), edges)


# -- uv.lock ---------------------------------------------------------------------------------------


@dataclass
class UvLockSource(PinSource):
    project_root: Path
    extras: Tuple[str, ...] = ()
    all_extras: bool = False
    groups: Tuple[str, ...] = ()
    without_groups: Tuple[str, ...] = ()
    only_groups: Tuple[str, ...] = ()

    @property
    def origin(self) -> str:  # type: ignore[override]
        return "uv.lock"

    def fingerprint(self) -> Dict[str, Any]:
        lock = self.project_root / "uv.lock"
        return {
            "lock": digest_text(lock.read_text(encoding="utf-8")),
            "extras": sorted(self.extras),
            "all_extras": self.all_extras,
            "groups": [sorted(self.groups), sorted(self.without_groups), sorted(self.only_groups)],
        }

    def __post_init__(self) -> None:
        # Before any fingerprint is compared: an "up to date" zip from a stale lock is still stale.
        check_uv_lock(self.project_root)

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
        completed = run_tool([find_uv(), *args], cwd=self.project_root, what="uv export")
        lines = parse_requirements_text(completed.stdout, origin="uv.lock")
        pins = exact_pins(lines, target, origin="uv.lock")
        if pins is None:
            raise LockError(
                "uv.lock holds a requirement that is not an index release (a path, URL or editable "
                "dependency); a layer is built from index wheels only. Publish it to an index and run `uv lock`."
            )
        return Resolution(pins, (), uv_lock_graph(self.project_root / "uv.lock"))


def check_uv_lock(project_root: Path) -> None:
    """Refuse a uv.lock that does not list the dependencies pyproject.toml declares now.

    ``uv export --frozen`` trusts the lock as it is; comparing the names the lock recorded for the
    project with pyproject.toml catches the common slip (a dependency added without `uv lock`)
    without resolving anything.
    """
    from .config import read_pyproject, tomllib

    lock_path = project_root / "uv.lock"
    try:
        lock = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"{lock_path} is not valid TOML ({exc}). Run `uv lock` to regenerate it.") from None
    pyproject = read_pyproject(project_root / "pyproject.toml")
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


def uv_lock_graph(lock_path: Path) -> Optional[DependencyGraph]:
    """Edges from uv.lock's ``dependencies``/``optional-dependencies``; roots: the project's own entries."""
    from .config import tomllib

    try:
        lock = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    edges: Dict[str, Set[str]] = {}
    roots: Set[str] = set()
    for package in lock.get("package", []):
        lists = [package.get("dependencies", [])] + list(package.get("optional-dependencies", {}).values())
        lists += list(package.get("dev-dependencies", {}).values())
        children = {dep["name"] for deps in lists for dep in deps if isinstance(dep, dict) and "name" in dep}
        source = package.get("source", {})
        if any(key in source for key in ("virtual", "editable")):  # the project (or a workspace member)
            roots |= children
        edges.setdefault(package["name"], set()).update(children)
    return DependencyGraph.build(roots, edges) if roots else None


# -- requirements files and top-level dependencies ------------------------------------------------


def via_graph(compiled: str, requirements: Sequence[str]) -> DependencyGraph:
    """The graph in ``uv pip compile``'s split ``# via`` annotations; roots: the requirements given."""
    edges: Dict[str, Set[str]] = {}
    current: Optional[str] = None
    for line in compiled.splitlines():
        stripped = line.strip()
        if line and not line[0].isspace() and not stripped.startswith("#"):
            current = requirement_name(stripped)
        elif current and stripped.startswith("#"):
            parent = stripped.lstrip("#").strip()
            parent = parent[len("via"):].strip() if parent.startswith("via") else parent
            name = requirement_name(parent)
            if name and not parent.startswith("-"):
                edges.setdefault(name, set()).add(current)
    return DependencyGraph.build(filter(None, map(requirement_name, requirements)), edges)


def compile_for_target(requirements: Sequence[str], target: LambdaTarget, *, origin: str, cwd: Path) -> Resolution:
    """Resolve top-level requirements for the target with ``uv pip compile`` (hashes included)."""
    if not requirements:
        return Resolution([])
    args = [
        find_uv(), "pip", "compile", "-", "--python-platform", target.uv_platform,
        "--python-version", target.python_version, "--no-header", "--annotation-style", "split",
        "--generate-hashes", "--quiet",
    ]
    completed = run_tool(args, cwd=cwd, what=f"uv pip compile ({origin})", stdin="\n".join(requirements) + "\n",
                         extra_env={"UV_PYTHON_DOWNLOADS": os.environ.get("UV_PYTHON_DOWNLOADS", "never")})
    pins = exact_pins(parse_requirements_text(completed.stdout, origin=origin), target, origin=origin)
    if pins is None:  # pragma: no cover - uv pip compile always pins exactly
        raise LockError(f"uv pip compile did not produce exact pins for {origin}.")
    return Resolution(pins, (), via_graph(completed.stdout, requirements))


@dataclass
class RequirementsFileSource(PinSource):
    path: Path

    @property
    def origin(self) -> str:  # type: ignore[override]
        return self.path.name

    def fingerprint(self) -> Dict[str, Any]:
        return {"requirements": digest_text(self.path.read_text(encoding="utf-8"))}

    def resolve(self, target: LambdaTarget) -> Resolution:
        lines = parse_requirements_text(self.path.read_text(encoding="utf-8"), origin=str(self.path))
        pins = exact_pins(lines, target, origin=self.path.name)
        if pins is not None:  # a frozen list has no graph: every pin counts as wanted
            return Resolution(pins)
        specs = [line.requirement + (f"; {line.marker}" if line.marker else "") for line in lines]
        return compile_for_target(specs, target, origin=self.path.name, cwd=self.path.parent)


@dataclass
class DependencyListSource(PinSource):
    """``[project.dependencies]`` plus chosen extras: no lock, so resolved for the target each build."""

    project_root: Path
    requirements: Tuple[str, ...]

    @property
    def origin(self) -> str:  # type: ignore[override]
        return "[project.dependencies]"

    def fingerprint(self) -> Dict[str, Any]:
        return {"requirements": sorted(self.requirements)}

    def resolve(self, target: LambdaTarget) -> Resolution:
        return compile_for_target(self.requirements, target, origin=self.origin, cwd=self.project_root)


def project_requirements(pyproject: Mapping[str, Any], extras: Sequence[str], all_extras: bool) -> Tuple[str, ...]:
    """Static ``[project]`` dependencies plus the chosen extras' (Hatch passes its own metadata instead)."""
    project = pyproject.get("project", {})
    requirements = list(project.get("dependencies", []))
    optional = {normalize_name(k): v for k, v in project.get("optional-dependencies", {}).items()}
    chosen = sorted(optional) if all_extras else [normalize_name(extra) for extra in extras]
    for extra in chosen:
        if extra not in optional:
            known = ", ".join(sorted(optional)) or "none"
            raise LockError(f"Extra {extra!r} is not defined in [project.optional-dependencies] (known: {known}).")
        requirements.extend(optional[extra])
    return tuple(requirements)


def detect_build_tool(project_root: Path, pyproject: Mapping[str, Any]) -> LayerBuildToolEnum:
    """poetry.lock -> poetry, uv.lock -> uv, requirements.txt -> pip, else hatch-style [project] deps."""
    if (project_root / "poetry.lock").is_file():
        return LayerBuildToolEnum.poetry
    if (project_root / "uv.lock").is_file():
        return LayerBuildToolEnum.uv
    if (project_root / "requirements.txt").is_file():
        return LayerBuildToolEnum.pip
    if pyproject.get("project", {}).get("dependencies") is not None:
        return LayerBuildToolEnum.hatch
    raise LockError(
        f"Found no poetry.lock, uv.lock, requirements.txt or [project.dependencies] in {project_root}; "
        "pass --tool or add one of them."
    )


def pin_source_for_project(
    project_root: Path, pyproject: Mapping[str, Any], build_tool: LayerBuildToolEnum, config: LayerConfig
) -> PinSource:
    """The pin source the core uses on its own (console script, Python API) for ``build_tool``."""
    if build_tool is LayerBuildToolEnum.poetry:
        lock_path = project_root / "poetry.lock"
        if not lock_path.is_file():
            raise LockError(f"{lock_path} does not exist. Run `poetry lock` in {project_root} first.")
        from .config import tomllib

        try:
            lock_data = tomllib.loads(lock_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise LockError(f"{lock_path} is not valid TOML ({exc}). Run `poetry lock` to regenerate it.") from None
        check_poetry_lock(lock_path, lock_data, pyproject)
        groups = select_groups(config.with_groups, config.without_groups, config.only_groups)
        extras = poetry_extras(pyproject, lock_data) if config.all_extras else config.extras
        return PoetryLockSource(lock_path, lock_data, groups, tuple(extras), poetry_sources(pyproject), pyproject)
    if build_tool is LayerBuildToolEnum.uv or (
        build_tool is LayerBuildToolEnum.hatch and (project_root / "uv.lock").is_file()
    ):
        if not (project_root / "uv.lock").is_file():
            raise LockError(f"{project_root / 'uv.lock'} does not exist. Run `uv lock` in {project_root} first.")
        return UvLockSource(
            project_root, config.extras, config.all_extras, config.with_groups, config.without_groups, config.only_groups
        )
    if build_tool is LayerBuildToolEnum.pip:
        path = (project_root / config.requirements).resolve()
        if not path.is_file():
            raise LockError(
                f"{path} does not exist. Create it (e.g. `pip freeze > requirements.txt`) or point "
                "`requirements` in [tool.lambda-layer] at your requirements file."
            )
        return RequirementsFileSource(path)
    return DependencyListSource(project_root, project_requirements(pyproject, config.extras, config.all_extras))
