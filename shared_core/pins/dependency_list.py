"""Pins from ``[project.dependencies]`` (plus extras): no lock, so resolved for the target each build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ..lambda_runtime import LambdaTarget
from ..names import normalize_name
from .extras import EXTRAS_KEY, chosen_extras
from .source import PinSource, Resolution
from .uv_compile import compile_for_target


@dataclass
class DependencyListSource(PinSource):
    """``[project.dependencies]`` plus chosen extras: no lock, so resolved for the target each build."""

    settings = frozenset(("extras", "all_extras"))

    project_root: Path
    requirements: Tuple[str, ...]

    @property
    def origin(self) -> str:  # type: ignore[override]
        return "[project.dependencies]"

    def fingerprint(self) -> Dict[str, Any]:
        return {"requirements": sorted(self.requirements)}

    def resolve(self, target: LambdaTarget) -> Resolution:
        return compile_for_target(self.requirements, target, origin=self.origin, cwd=self.project_root)


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
