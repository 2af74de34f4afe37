"""Read requirements-file text (a user's file, ``uv export`` or ``uv pip compile`` output) into pins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from ..errors import LockError
from ..lambda_runtime import LambdaTarget
from .pin import Pin, marker_applies


def _logical_lines(text: str) -> List[str]:
    """Join backslash continuations and drop comments, as pip reads a requirements file."""
    lines: List[str] = []
    buffer = ""
    for raw in text.splitlines():
        stripped = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        if buffer.strip():
            lines.append(buffer.strip())
        buffer = ""
    if buffer.strip():
        lines.append(buffer.strip())
    return lines


@dataclass(frozen=True)
class RequirementLine:
    """One parsed requirements-file line: a requirement string, its hashes and its marker."""

    requirement: str
    hashes: Tuple[str, ...]
    marker: Optional[str]

    def exact_pin(self) -> Optional[Tuple[str, str]]:
        """(name, version) when the line is ``name==version`` with no extras or URL, else None."""
        spec = self.requirement
        if "==" not in spec or any(char in spec for char in "<>!~,@[") or "===" in spec:
            return None
        name, _, version = spec.partition("==")
        name, version = name.strip(), version.strip()
        if not name or not version or "*" in version:
            return None
        return name, version


def parse_requirements_text(text: str, *, origin: str) -> List[RequirementLine]:
    """Parse ``requirements.txt`` / ``uv export`` output; options lines are refused or ignored explicitly."""
    parsed: List[RequirementLine] = []
    for line in _logical_lines(text):
        if line.startswith("-"):
            option = line.split()[0]
            if option in ("-e", "--editable", "-r", "--requirement", "-c", "--constraint"):
                raise LockError(
                    f"{origin}: `{line}` is not supported in a layer requirement set; list the "
                    "distributions themselves (a layer holds installed wheels only)."
                )
            continue  # --index-url and friends: indexes come from the project configuration
        tokens = line.split()
        hashes = tuple(token.split("=", 1)[1] for token in tokens if token.startswith("--hash="))
        body = " ".join(token for token in tokens if not token.startswith("--hash"))
        requirement, _, marker = body.partition(";")
        parsed.append(RequirementLine(requirement.strip(), hashes, marker.strip() or None))
    return parsed


def exact_pins(lines: Sequence[RequirementLine], target: LambdaTarget, *, origin: str) -> Optional[List[Pin]]:
    """Pins for the target when every line is an exact pin; None when something needs resolving."""
    pins: List[Pin] = []
    for line in lines:
        exact = line.exact_pin()
        if exact is None:
            return None
        if marker_applies(line.marker, target, where=f" in {origin}"):
            pins.append(Pin(exact[0], exact[1], line.hashes))
    return pins
