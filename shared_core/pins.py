"""The pinned requirement set: exact ``name==version`` lines, markers already evaluated for the target.

Feeding the installer only evaluated, exact pins with ``--no-deps`` is what makes pip and uv
agree: pip evaluates markers against the build machine, so it must never see one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from packaging.markers import InvalidMarker, Marker

from .errors import LockError
from .names import normalize_name
from .target import LambdaTarget


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: Tuple[str, ...] = ()

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    def requirement_line(self, with_hashes: bool = True) -> str:
        line = f"{self.name}=={self.version}"
        if with_hashes and self.hashes:
            line += "".join(f" --hash={digest}" for digest in self.hashes)
        return line


def marker_applies(marker: Optional[str], target: LambdaTarget, extras: Iterable[str] = (), *, where: str = "") -> bool:
    """Evaluate a PEP 508 marker for the target runtime, true if any selected extra makes it true."""
    if marker is None or not marker.strip():
        return True
    try:
        parsed = Marker(marker)
    except InvalidMarker as exc:
        raise LockError(f"Invalid environment marker {marker!r}{where}: {exc}") from None
    environment: Dict[str, str] = dict(target.marker_environment())
    for extra in list(extras) or [""]:
        environment["extra"] = extra
        if parsed.evaluate(environment):
            return True
    return False


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


def digest_text(*parts: str) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode("utf-8"))
        sha.update(b"\0")
    return sha.hexdigest()


def sorted_pins(pins: Iterable[Pin]) -> Tuple[Pin, ...]:
    unique: Dict[str, Pin] = {}
    for pin in pins:
        unique[pin.normalized_name] = pin
    return tuple(unique[name] for name in sorted(unique))
