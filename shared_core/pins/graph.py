"""Drop pins that only excluded distributions needed (``jmespath`` once ``boto3`` is excluded).

A pin is kept when a path leads to it from a project's direct dependency without passing
through an excluded distribution. Without a dependency graph (a plain requirements file) nothing
is pruned: when in doubt, a package stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from shared_core.pins.model import Pin
from shared_core.support.names import matching_pattern, normalize_name


@dataclass(frozen=True)
class DependencyGraph:
    """Normalised names: ``edges[parent]`` are the distributions ``parent`` may require."""

    roots: FrozenSet[str]
    edges: Mapping[str, FrozenSet[str]]

    @classmethod
    def build(cls, roots: Iterable[str], edges: Mapping[str, Iterable[str]]) -> "DependencyGraph":
        return cls(
            frozenset(normalize_name(root) for root in roots),
            {normalize_name(parent): frozenset(normalize_name(c) for c in children) for parent, children in edges.items()},
        )


def orphans(pinned: Sequence[str], excluded: Iterable[str], graph: Optional[DependencyGraph]) -> List[str]:
    """Pinned names (as given) reachable from the roots only through excluded distributions."""
    if graph is None:
        return []
    blocked: Set[str] = {normalize_name(name) for name in excluded}
    reached: Set[str] = set()
    stack = [root for root in graph.roots if root not in blocked]
    while stack:
        name = stack.pop()
        if name not in reached:
            reached.add(name)
            stack.extend(child for child in graph.edges.get(name, ()) if child not in blocked)
    # A pin the graph does not know about is kept: only what the graph proves unreachable goes.
    known = set(graph.roots) | set(graph.edges) | {child for children in graph.edges.values() for child in children}
    return [
        name for name in pinned
        if normalize_name(name) in known and normalize_name(name) not in blocked | reached
    ]


@dataclass(frozen=True)
class PinSelection:
    """The pins to install, and what was left out before anything was downloaded."""

    pins: Tuple[Pin, ...]
    excluded: Tuple[str, ...]
    #: Pins reachable only through excluded distributions (``jmespath`` once ``boto3`` is out).
    orphans: Tuple[str, ...]
    #: The pins left out, each with the exclusion pattern that matched it ("" for an orphan).
    left_out_pins: Tuple[Tuple[Pin, str], ...] = ()

    @property
    def left_out(self) -> Tuple[str, ...]:
        return self.excluded + self.orphans


def select_pins(pins: Sequence[Pin], patterns: Sequence[str], graph: Optional[DependencyGraph]) -> PinSelection:
    """Drop the pins matching an exclusion pattern, then those only they needed."""
    matched = {pin.name: matching_pattern(pin.name, patterns) for pin in pins}
    excluded = [pin.name for pin in pins if matched[pin.name] is not None]
    kept = [pin.name for pin in pins if pin.name not in excluded]
    unreachable = orphans(kept, excluded, graph)
    chosen = tuple(pin for pin in pins if pin.name in kept and pin.name not in unreachable)
    left_out = tuple((pin, matched[pin.name] or "") for pin in pins if pin.name in excluded or pin.name in unreachable)
    return PinSelection(chosen, tuple(excluded), tuple(unreachable), left_out)
