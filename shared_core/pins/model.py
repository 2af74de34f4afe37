"""The pinned requirement set: exact ``name==version`` lines, markers already evaluated for the target.

Feeding the installer only evaluated, exact pins with ``--no-deps`` is what makes pip and uv
agree: pip evaluates markers against the build machine, so it must never see one. A pin also
says where it must come from when its source says so: an index of its own (a uv or Poetry
source pinned to that package) or a local distribution (a workspace member, a path dependency).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from packaging.markers import InvalidMarker, Marker

from shared_core.errors import LockError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.support.names import normalize_name


@dataclass(frozen=True)
class Pin:
    name: str
    #: Empty for a local project directory whose version is known only once its wheel is built.
    version: str
    hashes: Tuple[str, ...] = ()
    #: The one index (URL) or find-links folder this pin may come from; None: the installer's indexes.
    index: Optional[str] = None
    #: A local distribution: a project directory (built into a wheel) or a wheel file, never an
    #: index package of the same name.
    path: Optional[Path] = None

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    def requirement_line(self, with_hashes: bool = True) -> str:
        if self.path is not None:  # a built local wheel
            return f"{self.name} @ {self.path.as_uri()}"
        line = f"{self.name}=={self.version}"
        if with_hashes and self.hashes:
            line += "".join(f" --hash={digest}" for digest in self.hashes)
        return line

    def describe(self) -> str:
        """``name==1.0``, ``name==1.0 (from https://private/simple)`` or ``lib (local: /work/lib)``."""
        if self.path is not None:
            return f"{self.name} (local: {self.path})"
        return f"{self.name}=={self.version}" + (f" (from {self.index})" if self.index else "")


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




def check_hash_rule(pins: Sequence[Pin], origin: str) -> None:
    """pip's rule, for each installer run (the pins of one index): once one pin carries a hash, every
    pin must; else stop and name those without.

    Dropping every hash because one pin has none would install a tampered file for a pin whose
    hash is right there in the lock. A local distribution is vouched for by its path instead, and
    a uv.lock records no hash for a find-links folder, so the rule holds per index.
    """
    by_index: Dict[Optional[str], List[Pin]] = {}
    for pin in pins:
        if pin.path is None:
            by_index.setdefault(pin.index, []).append(pin)
    unhashed = [pin for group in by_index.values() if any(p.hashes for p in group) for pin in group if not pin.hashes]
    if unhashed:
        listed = ", ".join(f"{pin.name}=={pin.version}" for pin in unhashed)
        raise LockError(
            f"{origin} gives hashes for some pins but not for: {listed}. Once one pin is hash-checked, every "
            "pin must be (pip's rule), or a tampered download would install unchecked. Regenerate it with "
            "hashes for every pin (`uv pip compile --generate-hashes`, `pip-compile --generate-hashes`, "
            "`poetry lock`, `uv lock`), or remove every --hash to install without hash checking."
        )


def sorted_pins(pins: Iterable[Pin]) -> Tuple[Pin, ...]:
    unique: Dict[str, Pin] = {}
    for pin in pins:
        unique[pin.normalized_name] = pin
    return tuple(unique[name] for name in sorted(unique))
