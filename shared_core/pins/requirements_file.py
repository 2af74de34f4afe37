"""Pins from a requirements file: used as-is when every line is exact, else resolved for the target."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict

from ..lambda_runtime import LambdaTarget
from .pin import digest_text
from .requirements_text import exact_pins, parse_requirements_text
from .source import PinSource, Resolution
from .uv_compile import compile_for_target


@dataclass
class RequirementsFileSource(PinSource):
    settings = frozenset(("requirements",))

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
