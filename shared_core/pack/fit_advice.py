"""How a layer near or over Lambda's unzipped limit could fit: what each measure saves on *this* layer.

"Exclude large distributions" is no help to someone looking at a 285 MB layer; "dropping package
tests saves 24,704,623 bytes and fits" is. So the over-limit error and, within 10% of the limit,
the size report list each measure this build could take, what it would save of the files about to
be packed, and whether the layer would then fit: leaving out the packages' own test suites,
shipping no bytecode, and excluding each of the largest distributions (with what requires it).
Everything here is arithmetic over figures the packer already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Tuple

from shared_core.install.distributions import InstalledDistribution
from shared_core.lambda_runtime import UNZIPPED_LIMIT
from shared_core.support.names import normalize_name

#: A layer over this share of the limit gets the measures in its size report (within 10%).
NEAR_LIMIT_PERCENT = 90
#: How many of the largest distributions the advice names.
LARGEST_DISTRIBUTIONS = 3


@dataclass(frozen=True)
class FitMeasure:
    """One way to make the layer smaller, priced on this layer."""

    action: str  # "dropping package tests"
    setting: str  # how to ask for it: "`drop-package-tests = true`, --drop-package-tests"
    saved: int  # bytes of the layer's unzipped size it removes
    remaining: int  # the unzipped size after it
    fits: bool  # remaining <= the limit
    note: str = ""  # "required by pandas": what the measure would break

    def describe(self) -> str:
        verdict = "fits" if self.fits else "still over"
        note = f"; {self.note}" if self.note else ""
        return f"{self.action} ({self.setting}) saves {self.saved:,} bytes, leaving {self.remaining:,} ({verdict}{note})"


def near_limit(unzipped_bytes: int, limit: int = UNZIPPED_LIMIT) -> bool:
    """True from 90% of the limit up (over it included): the size report then prices the measures."""
    return unzipped_bytes * 100 > limit * NEAR_LIMIT_PERCENT


def _measure(action: str, setting: str, saved: int, unzipped_bytes: int, limit: int, note: str = "") -> FitMeasure:
    remaining = unzipped_bytes - saved
    return FitMeasure(action, setting, saved, remaining, remaining <= limit, note)


def required_by(kept: Sequence[InstalledDistribution]) -> Dict[str, Tuple[str, ...]]:
    """name -> the kept distributions that require it (what excluding it would break)."""
    return {
        dist.name: tuple(other.name for other in kept if dist.normalized_name in {normalize_name(r) for r in other.requirement_names})
        for dist in kept
    }


def fit_measures(
    unzipped_bytes: int,
    *,
    package_tests_bytes: int,
    bytecode_bytes: int,
    distribution_bytes: Sequence[Tuple[str, int]],
    required_by: Mapping[str, Sequence[str]],
    limit: int = UNZIPPED_LIMIT,
) -> Tuple[FitMeasure, ...]:
    """Each available measure on a layer of ``unzipped_bytes``; a measure that saves nothing (tests
    already dropped, no bytecode) is not offered.

    ``distribution_bytes``: (name, bytes it adds to the layer), any order; the largest
    :data:`LARGEST_DISTRIBUTIONS` are priced. ``required_by``: name -> kept distributions that require it.
    """
    measures: List[FitMeasure] = []
    if package_tests_bytes:
        measures.append(_measure("dropping package tests", "`drop-package-tests = true`, --drop-package-tests",
                                 package_tests_bytes, unzipped_bytes, limit))
    if bytecode_bytes:
        measures.append(_measure("shipping no bytecode", "`compile-bytecode = false`, --no-compile",
                                 bytecode_bytes, unzipped_bytes, limit))
    largest = sorted(distribution_bytes, key=lambda item: (-item[1], item[0]))[:LARGEST_DISTRIBUTIONS]
    for name, size in largest:
        dependents = required_by.get(name, ())
        note = f"required by {', '.join(dependents)}" if dependents else ""
        measures.append(_measure(f"excluding {name}", f"`exclude-packages`, --exclude {name}", size, unzipped_bytes, limit, note))
    return tuple(measures)


def advice_sentence(measures: Sequence[FitMeasure]) -> str:
    """The measures as one sentence for the over-limit error (empty when there are none)."""
    if not measures:
        return ""
    return "On this layer, " + "; ".join(measure.describe() for measure in measures) + "."


def advice_lines(unzipped_bytes: int, measures: Sequence[FitMeasure], limit: int = UNZIPPED_LIMIT) -> List[str]:
    """The size report's lines for a layer near (or, with allow-oversize, over) the limit."""
    share = unzipped_bytes * 100 / limit
    lines = [f"Near Lambda's unzipped limit: {unzipped_bytes:,} of {limit:,} bytes ({share:.1f}%)."]
    if measures:
        lines.append("What each measure would save on this layer:")
        lines += [f"  {measure.describe()}" for measure in measures]
    return lines
