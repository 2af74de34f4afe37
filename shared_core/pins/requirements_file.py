"""Pins from a requirements file, meaning what it means to pip.

A complete hash-pinned set (any ``--hash``, or ``--require-hashes``: pip's hash-checking mode) is
installed exactly as written, and must therefore list every dependency: the layer's closure
check names any that is missing. Anything else (``requests==2.32.3`` alone, ranges, names) is
resolved for the target: its pins kept exactly, the dependencies it leaves out added, conflicts
refused as pip refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

from shared_core.errors import LockError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.local import local_digest
from shared_core.pins.model import Pin
from shared_core.pins.requirements_text import (
    conflicting_pins,
    exact_pins,
    parse_requirements_text,
    requested_extras,
    requirements_options,
)
from shared_core.pins.source import PinSource, Resolution
from shared_core.pins.uv_compile import CompileInput, compile_for_target
from shared_core.support.digests import digest_text
from shared_core.support.user_files import read_user_text

#: How to complete a hash-pinned file that misses a dependency (said after "The pins came from <file>: ").
HASHED_FIX = (
    "it is hash-pinned (pip's --require-hashes mode), so it is installed as written and must list every "
    "dependency with its hash: add the missing ones (`uv pip compile --generate-hashes` writes the complete set), "
    "or remove every --hash to let the build resolve the file"
)


@dataclass
class RequirementsFileSource(PinSource):
    settings = frozenset(("requirements",))

    path: Path
    #: Pure-Python packages that may come from an sdist (``allow-sdist``), when the file is resolved.
    allow_sdist: Tuple[str, ...] = ()

    @property
    def origin(self) -> str:  # type: ignore[override]
        return self.path.name

    def fingerprint(self) -> Dict[str, Any]:
        text = self.text()
        local = [pin.path for pin in self._local_pins(text)]
        return {"requirements": digest_text(text), "local": [local_digest(path) for path in local if path is not None]}

    @property
    def input_file(self) -> Path:
        return self.path

    def _local_pins(self, text: str) -> List[Pin]:
        lines = parse_requirements_text(text, origin=str(self.path))
        return [pin for pin in (line.local(self.path.parent, self.path.name) for line in lines) if pin is not None]

    def text(self) -> str:
        return read_user_text(self.path, error=LockError, fix="A requirements file must be UTF-8 text: fix or regenerate it.")

    def resolve(self, target: LambdaTarget) -> Resolution:
        text = self.text()
        lines = parse_requirements_text(text, origin=str(self.path))
        conflicting_pins(lines, origin=self.path.name)
        options = requirements_options(text, origin=self.path.name, base=self.path.parent)
        if options.require_hashes or any(line.hashes for line in lines):
            pins = exact_pins(lines, target, origin=self.path.name, base=self.path.parent)
            if pins is None:
                loose = next(line.requirement for line in lines if line.exact_pin() is None and line.local(self.path.parent, self.path.name) is None)
                raise LockError(
                    f"{self.path.name} is hash-pinned (pip's --require-hashes mode), so every line must be an exact "
                    f"`name==version` pin with --hash, but `{loose}` is not. Pin it exactly with its hash "
                    "(`uv pip compile --generate-hashes` writes the complete set), or remove every --hash to let the "
                    "build resolve the file."
                )
            unhashed = [f"{pin.name}=={pin.version}" for pin in pins if not pin.hashes and pin.path is None]
            if options.require_hashes and unhashed:
                raise LockError(
                    f"{self.path.name} says --require-hashes, but these pins have no --hash: {', '.join(unhashed)}. "
                    "Add their hashes (`uv pip compile --generate-hashes` writes them all) or remove --require-hashes."
                )
            # A frozen list has no graph: every pin counts as wanted.
            return Resolution(pins, options.indexes, None, options.settings, known_indexes=options.indexes,
                              extras=requested_extras(lines), fix=HASHED_FIX)
        specs = tuple(line.requirement + (f"; {line.marker}" if line.marker else "") for line in lines)
        return compile_for_target(CompileInput(specs), target, origin=self.path.name, cwd=self.path.parent,
                                  indexes=options.indexes, settings=options.settings, allow_sdist=self.allow_sdist)
