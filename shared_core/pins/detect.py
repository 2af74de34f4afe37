"""Which pin source a project uses when the core runs on its own (console script, Python API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Set, Tuple

from shared_core.errors import ConfigError, LockError
from shared_core.layout import LayerBuildToolEnum
from shared_core.pins.dependency_list import DependencyListSource, project_requirements, requirements_with_extras
from shared_core.pins.extras import check_extras, chosen_extras
from shared_core.pins.poetry_lock import (
    PoetryLockSource,
    check_poetry_lock,
    defined_groups,
    poetry_extras,
    poetry_sources,
    select_groups,
)
from shared_core.pins.requirements_file import RequirementsFileSource
from shared_core.pins.source import PinSource
from shared_core.pins.uv_lock import UvLockSource, lock_root
from shared_core.settings.layer import LayerConfig
from shared_core.support.names import normalize_name
from shared_core.support.user_files import read_user_toml

POETRY_LOCK_FIX = "Run `poetry lock` to regenerate it."


def managed_by(pyproject: Mapping[str, Any], project_root: Path) -> Optional[LayerBuildToolEnum]:
    """Poetry or uv when the project is theirs (so its runtime set is their lock's), else None.

    Poetry: a ``[tool.poetry]`` table or poetry-core as build backend. uv: a ``[tool.uv]`` table,
    or membership of a uv workspace.
    """
    tool = pyproject.get("tool", {})
    backend = str(pyproject.get("build-system", {}).get("build-backend", ""))
    if "poetry" in tool or backend.startswith("poetry.core"):
        return LayerBuildToolEnum.poetry
    if "uv" in tool or lock_root(project_root) != project_root.resolve():
        return LayerBuildToolEnum.uv
    return None


def detect_build_tool(project_root: Path, pyproject: Mapping[str, Any]) -> LayerBuildToolEnum:
    """poetry.lock -> poetry, uv.lock (here or at the workspace root) -> uv, requirements.txt -> pip;
    a Poetry- or uv-managed project without its lock is an error; else hatch-style [project] deps.

    Resolving a managed project's ``[project.dependencies]`` without its lock would build a
    different runtime set than the one its tool installs; ``--tool hatch`` does so on purpose.
    """
    if (project_root / "poetry.lock").exists():
        return LayerBuildToolEnum.poetry
    if (lock_root(project_root) / "uv.lock").exists():
        return LayerBuildToolEnum.uv
    if (project_root / "requirements.txt").exists():
        return LayerBuildToolEnum.pip
    manager = managed_by(pyproject, project_root)
    if manager is not None:
        lock = "poetry.lock" if manager is LayerBuildToolEnum.poetry else "uv.lock"
        where = lock_root(project_root)
        raise LockError(
            f"{project_root} is a {manager.value}-managed project without its {lock}, so its locked runtime set is "
            f"unknown. Run `{manager.value} lock` in {where} and build again; or pass --tool hatch to resolve "
            "[project.dependencies] for the target without a lock, on purpose."
        )
    if pyproject.get("project", {}).get("dependencies") is not None:
        return LayerBuildToolEnum.hatch
    raise LockError(
        f"Found no poetry.lock, uv.lock, requirements.txt or [project.dependencies] in {project_root}; "
        "pass --tool or add one of them."
    )


def pin_source_for_project(
    project_root: Path, pyproject: Mapping[str, Any], build_tool: LayerBuildToolEnum, config: LayerConfig,
) -> PinSource:
    """The pin source the core uses on its own (console script, Python API) for ``build_tool``.

    Messages name each setting where it was set (``--extras`` or ``Field `tool.lambda-layer.extras```).
    """
    extras_name = config.label("extras")
    if build_tool is LayerBuildToolEnum.poetry:
        return poetry_lock_source(project_root, pyproject, config)
    if build_tool is LayerBuildToolEnum.uv or (
        build_tool is LayerBuildToolEnum.hatch and (lock_root(project_root) / "uv.lock").exists()
    ):  # as `hatch build -t lambda-layer` does
        extras = check_extras(config.extras, pyproject.get("project", {}).get("optional-dependencies", {}), name=extras_name)
        return UvLockSource(
            project_root, extras, config.all_extras, config.with_groups, config.without_groups, config.only_groups,
            config.all_groups, pyproject=pyproject or None,
        )
    if build_tool is LayerBuildToolEnum.pip:
        path = (project_root / config.requirements).resolve()
        if not path.exists():
            raise LockError(
                f"{path} does not exist. Create it (e.g. `pip freeze > requirements.txt`) or point "
                "`requirements` in [tool.lambda-layer] at your requirements file."
            )
        return RequirementsFileSource(path, config.allow_sdist)
    project = pyproject.get("project", {})
    extras = chosen_extras(config.extras, config.all_extras, project.get("optional-dependencies", {}), name=extras_name)
    requirements = project_requirements(pyproject, config.extras, config.all_extras, extras_name=extras_name)
    return DependencyListSource(project_root, requirements, extras, config.allow_sdist, pyproject)


def default_pin_source(project_root: Path, pyproject: Mapping[str, Any], build_tool: Optional[LayerBuildToolEnum],
                       config: LayerConfig) -> PinSource:
    """The source for a project: ``build_tool``'s, or the one its files point to."""
    tool = LayerBuildToolEnum(build_tool) if build_tool else detect_build_tool(project_root, pyproject)
    return pin_source_for_project(project_root, pyproject, tool, config)


def poetry_lock_source(
    project_root: Path, pyproject: Mapping[str, Any], config: LayerConfig, *,
    lock_data: Optional[Mapping[str, Any]] = None,
    credentials: Optional[Mapping[str, Tuple[Optional[str], Optional[str]]]] = None,
) -> PinSource:
    """poetry.lock as pin source, with the groups and extras ``config`` chooses, each checked.

    ``lock_data``: the lock as Poetry's own locker read it, fresh by Poetry's check (the Poetry
    command); else read and checked here. ``credentials``: the sources' from Poetry's configuration.
    """
    lock_path = project_root / "poetry.lock"
    if lock_data is None:
        if not lock_path.exists():
            raise LockError(f"{lock_path} does not exist. Run `poetry lock` in {project_root} first.")
        _, lock_data = read_user_toml(lock_path, error=LockError, fix=POETRY_LOCK_FIX)
        check_poetry_lock(lock_path, lock_data, pyproject)
    else:
        check_poetry_lock(lock_path, lock_data, None)
    groups = chosen_groups(config, defined_groups(pyproject, lock_data))
    extras = chosen_extras(config.extras, config.all_extras, poetry_extras(pyproject, lock_data),
                           name=config.label("extras"), defined_in="pyproject.toml")
    return PoetryLockSource(lock_path, lock_data, groups, extras, poetry_sources(pyproject, credentials), pyproject)


def chosen_groups(config: LayerConfig, defined: Set[str]) -> Set[str]:
    """The dependency groups ``config`` asks for, every named one checked against ``defined``
    (``--all-groups``: all of them), the way ``poetry install`` chooses them."""
    for attribute in ("with_groups", "without_groups", "only_groups"):
        for name in getattr(config, attribute):
            if normalize_name(name) not in defined:
                raise ConfigError(
                    f"{config.label(attribute)} names the group {name!r}, which pyproject.toml does not define "
                    f"(groups: {', '.join(sorted(defined))})."
                )
    return set(defined) if config.all_groups else select_groups(config.with_groups, config.without_groups,
                                                                 config.only_groups)


def hatch_pin_source(project_root: Path, pyproject: Mapping[str, Any], config: LayerConfig,
                     dependencies: Sequence[str], optional: Mapping[str, Sequence[str]]) -> PinSource:
    """What ``hatch build -t lambda-layer`` builds from: the project's (or its workspace's) uv.lock when
    there is one, else Hatch's own dependency list and extras (dynamic ones already expanded by
    Hatchling), resolved for the target."""
    extras = chosen_extras(config.extras, config.all_extras, optional, name=config.label("extras"))
    if (lock_root(project_root) / "uv.lock").is_file():
        return UvLockSource(project_root, extras, config.all_extras, config.with_groups, config.without_groups,
                            config.only_groups, config.all_groups, pyproject=pyproject)
    return DependencyListSource(project_root, requirements_with_extras(dependencies, optional, extras), extras,
                                config.allow_sdist, pyproject)
