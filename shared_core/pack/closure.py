"""The layer's dependency closure: what every kept distribution requires is in the layer.

Checked on the result (the staged distributions after exclusion, before the zip is written), so
it holds however the tree was reached: poetry.lock, uv.lock, a requirements file,
``[project.dependencies]``, or a tree :class:`~shared_core.pack.layer_zip.LambdaLayerZipper`
packs as it is. Each ``Requires-Dist`` is evaluated for the *target's* marker environment, never
the build machine's. A requirement is met by a kept distribution of that name whose version the
specifier contains (pre-releases allowed: the pins chose them), by what the Lambda runtime
provides when the layer does not carry it, or by an exclusion the user asked for: a distribution
excluded from the tree or before install, or any name an exclusion pattern matches (an excluded
one that was installed is warned about by :func:`~shared_core.pack.exclusion.plan_exclusions`).
Anything else would fail on import.

A requirement marked ``extra == "x"`` counts only when extra ``x`` of its distribution is asked
for: by ``requested_extras`` (from the pin source) or by another requirement (``foo[x]>=1``),
transitively. Each distribution's requirements are parsed once (and cached by their text), so the
check costs a few milliseconds on a pandas + pyarrow + requests layer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from types import MappingProxyType
from typing import Collection, Deque, Dict, FrozenSet, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.version import InvalidVersion

from shared_core.errors import IncompleteLayerError
from shared_core.install.distributions import InstalledDistribution, parse_requirement
from shared_core.lambda_runtime import RUNTIME_PROVIDED, LambdaTarget
from shared_core.support.names import matching_pattern, normalize_name

#: No extras asked for: only the requirements that need none count.
NO_EXTRAS: Mapping[str, FrozenSet[str]] = MappingProxyType({})

_BASE = ""  # the "extra" value of a distribution's own requirements


@dataclass(frozen=True)
class UnmetRequirement:
    """One requirement of a kept distribution that the layer does not satisfy."""

    distribution: str  # "fake-a 1.0"
    requirement: str  # as required, without its marker: "fake-b", "foo>=2", "bar[x]"
    name: str  # the required distribution's name
    found: Optional[str] = None  # the version the layer has, when its specifier excludes it
    extra: str = ""  # the extra of ``distribution`` that asks for it ("": its own requirement)

    def describe(self) -> str:
        needs = f"{self.distribution} requires {self.requirement}"
        needs += f" (for its extra {self.extra!r})" if self.extra else ""
        if self.found is None:
            return f"{needs}, which is not in the layer"
        return f"{needs}, but the layer has {self.name} {self.found}"


def _shown(requirement: Requirement) -> str:
    """The requirement without its marker (the marker held for the target, or it would not count)."""
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    if requirement.url:
        return f"{requirement.name}{extras} @ {requirement.url}"
    return f"{requirement.name}{extras}{requirement.specifier}"


def _applies(requirement: Requirement, environment: Dict[str, str], extra: str) -> bool:
    """True when the requirement's marker holds for the target with ``extra`` (``""``: none) asked for."""
    marker = requirement.marker
    if marker is None:
        return extra == _BASE
    if extra != _BASE and "extra" not in str(marker):
        return False  # counted once, with the distribution's own requirements
    try:
        return marker.evaluate({**environment, "extra": extra})
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, InvalidVersion):
        return extra == _BASE  # a marker the target cannot decide: the requirement counts


def _requirements(dist: InstalledDistribution, environment: Dict[str, str], extra: str) -> Iterator[Requirement]:
    for line in dist.requires:
        requirement = parse_requirement(line)
        if requirement is not None and _applies(requirement, environment, extra):
            yield requirement


def _contains(requirement: Requirement, version: str) -> bool:
    try:
        return requirement.specifier.contains(version, prereleases=True)
    except InvalidVersion:
        return False


def unmet_requirements(
    kept: Sequence[InstalledDistribution],
    target: LambdaTarget,
    *,
    excluded: Collection[str] = (),
    patterns: Sequence[str] = (),
    requested_extras: Mapping[str, FrozenSet[str]] = NO_EXTRAS,
) -> List[UnmetRequirement]:
    """Every requirement of ``kept`` the layer leaves unmet, sorted by distribution then requirement.

    ``excluded``: names left out on purpose (from the tree, or before install); ``patterns``: the
    exclusion patterns (a name they match is left out on purpose, installed or not);
    ``requested_extras``: normalised distribution name -> the extras asked of it.
    """
    environment = target.marker_environment()
    layer = {dist.normalized_name: dist for dist in kept}
    absent_ok = {normalize_name(name) for name in (*RUNTIME_PROVIDED, *excluded)}
    asked: Dict[str, Set[str]] = {name: {_BASE} for name in layer}
    queue: Deque[Tuple[str, str]] = deque((name, _BASE) for name in layer)
    for name, extras in requested_extras.items():
        normalized = normalize_name(name)
        for extra in sorted(extras):
            _ask(normalized, normalize_name(extra), layer, asked, queue)
    unmet: Dict[Tuple[str, str], UnmetRequirement] = {}
    while queue:
        name, extra = queue.popleft()
        dist = layer[name]
        for requirement in _requirements(dist, environment, extra):
            needed = normalize_name(requirement.name)
            present = layer.get(needed)
            if present is None and (needed in absent_ok or matching_pattern(needed, patterns) is not None):
                continue
            if present is None or not _contains(requirement, present.version):
                shown = _shown(requirement)
                unmet.setdefault((dist.normalized_name, shown), UnmetRequirement(
                    f"{dist.name} {dist.version}", shown, requirement.name,
                    None if present is None else present.version, extra,
                ))
                continue
            for wanted in sorted(requirement.extras):
                _ask(needed, normalize_name(wanted), layer, asked, queue)
    return [unmet[key] for key in sorted(unmet)]


def _ask(name: str, extra: str, layer: Mapping[str, InstalledDistribution], asked: Dict[str, Set[str]],
         queue: Deque[Tuple[str, str]]) -> None:
    """Queue extra ``extra`` of ``name`` once (extras of a distribution the layer lacks ask nothing)."""
    if name in layer and extra not in asked[name]:
        asked[name].add(extra)
        queue.append((name, extra))


#: How many unmet requirements a message lists before it counts the rest.
SHOWN = 10


def incomplete_layer_error(unmet: Sequence[UnmetRequirement], target: LambdaTarget, origin: str,
                           fix: str = "") -> IncompleteLayerError:
    """One paragraph: each unmet requirement (the first :data:`SHOWN`), where the pins came from, the fix.

    ``origin`` is the pin source (``requirements.txt``, ``poetry.lock``); empty for a staged tree
    packed as it is (the Python API's zipper), which has no pin source to fix. ``fix``: how to
    complete that source, in its own terms (``run `poetry lock` ...``); a generic one without.
    """
    shown = "; ".join(item.describe() for item in unmet[:SHOWN])
    more = f"; and {len(unmet) - SHOWN} more" if len(unmet) > SHOWN else ""
    if origin:
        fix = f"The pins came from {origin}: " + (fix or (
            "add what is missing there, at versions these requirements accept (a lock, or `uv pip compile` output, "
            "lists every dependency; a hand-written file may list only the top level)"))
    else:
        fix = "Install what is missing into the staged tree, at versions these requirements accept"
    return IncompleteLayerError(
        f"The layer would not work on {target.describe()}: {shown}{more}. {fix}, or leave a distribution out on "
        "purpose with `exclude-packages` (--exclude). Nothing was written; the previous layer zip is unchanged."
    )
