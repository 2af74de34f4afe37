"""The interface every pin source implements, and the names a project depends on directly.

Each source knows (a) what to fingerprint — the *inputs*, readable in milliseconds, so an
unchanged project is "up to date" without resolving anything — and (b) how to produce the
exact pins for a target runtime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.graph import DependencyGraph
from shared_core.pins.indexes import NO_SETTINGS, IndexSettings, PackageIndex
from shared_core.pins.model import Pin

if TYPE_CHECKING:  # pragma: no cover
    from shared_core.settings.layer import LayerConfig

_NO_GROUPS = "only a poetry.lock or uv.lock records dependency groups"
_NO_EXTRAS = "a requirements file has no extras"

#: Settings only some pin sources honour, and why the others cannot.
SOURCE_SETTINGS: Mapping[str, str] = {
    "with_groups": _NO_GROUPS,
    "without_groups": _NO_GROUPS,
    "only_groups": _NO_GROUPS,
    "all_groups": _NO_GROUPS,
    "extras": _NO_EXTRAS,
    "all_extras": _NO_EXTRAS,
    "requirements": "it is read only when the pins come from a requirements file",
}
GROUP_AND_EXTRA_SETTINGS: FrozenSet[str] = frozenset(
    ("with_groups", "without_groups", "only_groups", "all_groups", "extras", "all_extras")
)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Resolution:
    """The exact pins for a target, the indexes to fetch them from, and (when known) their graph."""

    pins: List[Pin]
    #: The indexes of every pin not bound to one of its own (``Pin.index``); empty: the installer's.
    indexes: Tuple[PackageIndex, ...] = ()
    graph: Optional[DependencyGraph] = None
    #: A requirements file's ``--find-links``, ``--no-index``, ``--trusted-host``.
    settings: IndexSettings = NO_SETTINGS
    #: Every index the project configures, for the credentials of pins bound to one.
    known_indexes: Tuple[PackageIndex, ...] = ()
    #: ``{normalised name: extras}`` the source asks for (``requests[socks]``): the layer must hold
    #: what those extras require too.
    extras: Mapping[str, FrozenSet[str]] = field(default_factory=dict)
    #: The (normalised) names the source named itself when a resolver added the rest (None: it named all).
    named: Optional[FrozenSet[str]] = None
    #: How to complete a pin set that misses a dependency, in the source's terms.
    fix: str = ""


class PinSource:
    """Interface of every pin source."""

    origin: str
    #: Which of :data:`SOURCE_SETTINGS` this source honours.
    settings: FrozenSet[str] = frozenset()

    def fingerprint(self) -> Dict[str, Any]:
        raise NotImplementedError

    @property
    def input_file(self) -> Path:
        """The file the pins come from (the lock, the requirements file, pyproject.toml): the
        manifest records its digest, so a layer can be traced back to it."""
        raise NotImplementedError

    def resolve(self, target: LambdaTarget) -> Resolution:
        raise NotImplementedError


def requirement_name(spec: str) -> Optional[str]:
    """The distribution name at the start of a PEP 508 string, or None for anything else."""
    match = _NAME.match(spec.strip()) if isinstance(spec, str) else None
    return match.group(0) if match else None


def pyproject_direct_dependencies(pyproject: Mapping[str, Any]) -> Set[str]:
    """Every name the project depends on directly, in any group or extra (PEP 621, PEP 735, Poetry)."""
    project = pyproject.get("project", {})
    specs: List[Any] = list(project.get("dependencies", []))
    for values in project.get("optional-dependencies", {}).values():
        specs.extend(values)
    for values in pyproject.get("dependency-groups", {}).values():
        specs.extend(values)
    specs.extend(pyproject.get("tool", {}).get("uv", {}).get("dev-dependencies", []))  # uv's legacy dev group
    names = {name for name in map(requirement_name, specs) if name}
    poetry = pyproject.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [group.get("dependencies", {}) for group in poetry.get("group", {}).values()]
    names |= {name for table in tables for name in table if name.lower() != "python"}
    return names


def ignored_settings(config: "LayerConfig", source: PinSource) -> List[str]:
    """A warning for each setting the user gave that ``source`` cannot honour, in the user's terms."""
    return [
        f"{config.label(attribute)} does not apply to {source.origin} ({why}); it is ignored."
        for attribute, why in SOURCE_SETTINGS.items()
        if attribute not in source.settings and config.origin(attribute) is not None and getattr(config, attribute)
    ]
