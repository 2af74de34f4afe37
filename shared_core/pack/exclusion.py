"""Choose which installed distributions to leave out, by normalised name or glob, never by prefix.

What leaving one out removes is decided by ownership: a file goes only when the RECORD of an
excluded distribution lists it and no kept distribution's RECORD does (``opencv-python`` and
``opencv-contrib-python`` both own ``cv2/...``: excluding one keeps what the other needs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Sequence, Tuple

from shared_core.install.distributions import InstalledDistribution
from shared_core.lambda_runtime import RUNTIME_PROVIDED
from shared_core.pins.model import Pin
from shared_core.support.names import matching_pattern, normalize_name


@dataclass(frozen=True)
class ExcludedDistribution:
    """A distribution left out of the layer.

    ``pattern`` is the exclusion that matched it (empty for one left out because only excluded
    distributions needed it); ``before_install`` ones were never installed, so own no ``files``.
    """

    name: str
    version: str
    pattern: str
    files: FrozenSet[str]
    before_install: bool = False


@dataclass(frozen=True)
class ExclusionPlan:
    """What to leave out of the zip, and what the user should hear about it."""

    excluded: Tuple[ExcludedDistribution, ...]
    unmatched_patterns: Tuple[str, ...]
    #: (kept distribution, excluded requirement) pairs where the requirement is not runtime-provided.
    broken_requirements: Tuple[Tuple[str, str], ...]
    #: Kept distributions that rely on runtime-provided ones (expected; said once).
    runtime_dependents: Tuple[Tuple[str, str], ...]
    #: The files to leave out: owned by an excluded distribution and by no kept one.
    excluded_files: FrozenSet[str] = frozenset()


def _removed_files(excluded: Sequence[ExcludedDistribution], kept: Sequence[InstalledDistribution]) -> FrozenSet[str]:
    """What the excluded distributions own that no kept distribution also owns."""
    owned: FrozenSet[str] = frozenset().union(*(dist.files for dist in excluded))
    return owned.difference(*(dist.files for dist in kept)) if owned else owned


def before_install_exclusions(left_out: Sequence[Tuple[Pin, str]]) -> Tuple[ExcludedDistribution, ...]:
    """The pins Step 1 left out (each with the pattern that excluded it, "" for one only excluded
    distributions needed), as the result reports them beside the ones excluded from the tree."""
    return tuple(ExcludedDistribution(pin.name, pin.version, pattern, frozenset(), before_install=True)
                 for pin, pattern in left_out)


def plan_exclusions(
    distributions: Sequence[InstalledDistribution],
    patterns: Sequence[str],
    *,
    already_excluded: Sequence[str] = (),
) -> ExclusionPlan:
    """Match ``patterns`` against the installed distributions.

    ``already_excluded`` names distributions dropped before install (so not installed at all):
    a pattern that matched one of those is not reported as unmatched.
    """
    excluded: List[ExcludedDistribution] = []
    kept: List[InstalledDistribution] = []
    used = set()
    for dist in distributions:
        pattern = matching_pattern(dist.name, patterns)
        if pattern is None:
            kept.append(dist)
            continue
        used.add(pattern)
        excluded.append(ExcludedDistribution(dist.name, dist.version, pattern, dist.files))
    for name in already_excluded:
        pattern = matching_pattern(name, patterns)
        if pattern is not None:
            used.add(pattern)
    excluded_names: Dict[str, str] = {normalize_name(dist.name): dist.name for dist in excluded}
    excluded_names.update({normalize_name(name): name for name in already_excluded})
    runtime = {normalize_name(name) for name in RUNTIME_PROVIDED}
    broken: List[Tuple[str, str]] = []
    expected: List[Tuple[str, str]] = []
    for dist in kept:
        for requirement in dist.requirement_names:
            normalized = normalize_name(requirement)
            if normalized in excluded_names:
                (expected if normalized in runtime else broken).append((dist.name, excluded_names[normalized]))
    return ExclusionPlan(
        excluded=tuple(excluded),
        unmatched_patterns=tuple(p for p in patterns if p not in used),
        broken_requirements=tuple(broken),
        runtime_dependents=tuple(expected),
        excluded_files=_removed_files(excluded, kept),
    )
