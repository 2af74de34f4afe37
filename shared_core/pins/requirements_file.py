"""Pins from a requirements file: used as-is when every line is exact, else resolved for the target."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict

from ..errors import LockError
from ..lambda_runtime import LambdaTarget
from ..user_files import read_user_text
from .pin import digest_text
from .requirements_text import exact_pins, parse_requirements_text, requirements_options
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
        return {"requirements": digest_text(self.text())}

    def text(self) -> str:
        return read_user_text(self.path, error=LockError, fix="A requirements file must be UTF-8 text: fix or regenerate it.")

    def resolve(self, target: LambdaTarget) -> Resolution:
        text = self.text()
        lines = parse_requirements_text(text, origin=str(self.path))
        options = requirements_options(text, origin=self.path.name, base=self.path.parent)
        pins = exact_pins(lines, target, origin=self.path.name)
        if pins is None:
            specs = [line.requirement + (f"; {line.marker}" if line.marker else "") for line in lines]
            return compile_for_target(specs, target, origin=self.path.name, cwd=self.path.parent,
                                      indexes=options.indexes, settings=options.settings)
        unhashed = [f"{pin.name}=={pin.version}" for pin in pins if not pin.hashes]
        if options.require_hashes and unhashed:
            raise LockError(
                f"{self.path.name} says --require-hashes, but these pins have no --hash: {', '.join(unhashed)}. "
                "Add their hashes (`uv pip compile --generate-hashes` writes them all) or remove --require-hashes."
            )
        # A frozen list has no graph: every pin counts as wanted.
        return Resolution(pins, options.indexes, None, options.settings)
