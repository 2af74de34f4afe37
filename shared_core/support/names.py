"""Distribution-name matching: PEP 503 normalisation plus glob patterns."""

from __future__ import annotations

import fnmatch
import re
from typing import Iterable

_NORMALIZE = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """PEP 503: ``PyYAML`` and ``pyyaml``, ``python_dateutil`` and ``python-dateutil`` are one name."""
    return _NORMALIZE.sub("-", name).lower()


def is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def matches(name: str, pattern: str) -> bool:
    """True when distribution ``name`` matches ``pattern`` (an exact name or a glob, both normalised)."""
    normalized = normalize_name(name)
    if is_glob(pattern):
        return fnmatch.fnmatchcase(normalized, normalize_name(pattern))
    return normalized == normalize_name(pattern)


def matching_pattern(name: str, patterns: Iterable[str]) -> str | None:
    """The first pattern that matches ``name``, or None."""
    for pattern in patterns:
        if matches(name, pattern):
            return pattern
    return None
