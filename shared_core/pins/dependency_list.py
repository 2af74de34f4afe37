"""Pins from ``[project.dependencies]`` (plus extras): no lock, so resolved for the target each build.

A project that binds packages to indexes or paths of its own (``[tool.uv.sources]``,
``[[tool.uv.index]]``) is resolved from its ``pyproject.toml``, where uv reads them: a package
pinned to a private index never comes from the public one, and a path stays a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.extras import EXTRAS_KEY, chosen_extras
from shared_core.pins.indexes import uv_project_indexes
from shared_core.pins.local import local_digest
from shared_core.pins.source import PinSource, Resolution
from shared_core.pins.uv_compile import CompileInput, compile_for_target
from shared_core.support.names import normalize_name


def uv_sources(pyproject: Mapping[str, Any]) -> Mapping[str, Any]:
    """``[tool.uv.sources]`` (empty when absent or not a table)."""
    sources = pyproject.get("tool", {}).get("uv", {}).get("sources", {})
    return sources if isinstance(sources, Mapping) else {}


@dataclass
class DependencyListSource(PinSource):
    """``[project.dependencies]`` plus chosen extras: no lock, so resolved for the target each build."""

    settings = frozenset(("extras", "all_extras"))

    project_root: Path
    requirements: Tuple[str, ...]
    #: The chosen extras (their requirements are already in ``requirements``).
    extras: Tuple[str, ...] = ()
    #: Pure-Python packages that may come from an sdist (``allow-sdist``).
    allow_sdist: Tuple[str, ...] = ()
    #: pyproject.toml as parsed: its uv sources and indexes bind packages.
    pyproject: Optional[Mapping[str, Any]] = field(default=None, repr=False, compare=False)

    @property
    def origin(self) -> str:  # type: ignore[override]
        return "[project.dependencies]"

    def _binds_sources(self) -> bool:
        tool_uv = (self.pyproject or {}).get("tool", {}).get("uv", {})
        return bool(uv_sources(self.pyproject or {})) or bool(tool_uv.get("index"))

    def fingerprint(self) -> Dict[str, Any]:
        record: Dict[str, Any] = {"requirements": sorted(self.requirements)}
        if self._binds_sources():
            sources = uv_sources(self.pyproject or {})
            record["sources"] = {name: sources[name] for name in sorted(sources)}
            record["indexes"] = [index.url for index in uv_project_indexes(self.pyproject or {})]
            record["local"] = {
                name: local_digest((self.project_root / source["path"]).resolve())
                for name, source in sorted(sources.items())
                if isinstance(source, Mapping) and isinstance(source.get("path"), str)
                and (self.project_root / source["path"]).exists()
            }
        return record

    @property
    def input_file(self) -> Path:
        return self.project_root / "pyproject.toml"

    def resolve(self, target: LambdaTarget) -> Resolution:
        if self._binds_sources():
            what = CompileInput(self.requirements, self.project_root / "pyproject.toml", self.extras,
                                uv_project_indexes(self.pyproject or {}))
        else:
            what = CompileInput(self.requirements)
        return compile_for_target(what, target, origin=self.origin, cwd=self.project_root, allow_sdist=self.allow_sdist)


def requirements_with_extras(
    dependencies: Sequence[str], optional: Mapping[str, Sequence[str]], extras: Sequence[str]
) -> Tuple[str, ...]:
    """The dependencies plus each chosen extra's requirements (``extras`` already checked), without repeats."""
    by_name = {normalize_name(name): specs for name, specs in optional.items()}
    requirements: List[str] = list(dependencies)
    for extra in extras:
        requirements.extend(by_name[normalize_name(extra)])
    return tuple(dict.fromkeys(requirements))


def project_requirements(
    pyproject: Mapping[str, Any], extras: Sequence[str], all_extras: bool, *, extras_name: str = EXTRAS_KEY
) -> Tuple[str, ...]:
    """Static ``[project]`` dependencies plus the chosen extras' (Hatch passes its own metadata instead)."""
    project = pyproject.get("project", {})
    optional = project.get("optional-dependencies", {})
    chosen = chosen_extras(extras, all_extras, optional, name=extras_name)
    return requirements_with_extras(project.get("dependencies", []), optional, chosen)
