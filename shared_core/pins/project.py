"""The project itself as the one pin of its function zip: built into a wheel by its own backend.

A packaged project's code reaches Lambda the way pip would install it: its build backend (PEP 517,
isolated, ``uv build --wheel``) makes the wheel, and the wheel is installed without its
dependencies (those are the layer's). The pin is the project's folder; its content digest is the
input a function build fingerprints, so a changed source file rebuilds the function.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping

from shared_core.errors import ConfigError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.local import local_digest, local_pin
from shared_core.pins.source import PinSource, Resolution


def is_packaged(pyproject: Mapping[str, Any]) -> bool:
    """A project with a build backend that is not Poetry's ``package-mode = false``: it builds a wheel."""
    build_system = pyproject.get("build-system")
    poetry = pyproject.get("tool", {}).get("poetry", {}) if isinstance(pyproject.get("tool"), Mapping) else {}
    if isinstance(poetry, Mapping) and poetry.get("package-mode") is False:
        return False
    return isinstance(build_system, Mapping) and bool(build_system.get("build-backend"))


@dataclass
class ProjectSource(PinSource):
    """The project at ``project_root``, as the one local pin of its function."""

    project_root: Path
    pyproject: Mapping[str, Any]

    def __post_init__(self) -> None:
        self.origin = "the project's own wheel"
        project = self.pyproject.get("project", {})
        name = project.get("name") if isinstance(project, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(
                f"{self.project_root / 'pyproject.toml'} has no [project].name, so its wheel cannot be built and named. "
                "Name the project, or list the function's files with `include` in [tool.lambda-layer.function]."
            )
        self.name = name

    def fingerprint(self) -> Dict[str, Any]:
        return {"project": local_digest(self.project_root)}

    @property
    def input_file(self) -> Path:
        return self.project_root / "pyproject.toml"

    def resolve(self, target: LambdaTarget) -> Resolution:
        pin = local_pin(self.name, self.project_root, origin="the project")
        return Resolution([pin], fix="")
