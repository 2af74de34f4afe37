"""Read requirements-file text (a user's file, ``uv export`` or ``uv pip compile`` output) into pins.

Option lines are never dropped silently. The ones that say where packages come from
(``--index-url``/``-i``, ``--extra-index-url``, ``--find-links``/``-f``, ``--no-index``,
``--trusted-host``) are honoured: :func:`requirements_options` turns them into the indexes and
settings the installer gets, with ``${VAR}`` expanded as pip does and credentials kept apart for
masking. The ones a wheels-only, hash-checked install already obeys (``--only-binary``,
``--prefer-binary``, ``--require-hashes``) are accepted; anything else is refused with its line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..errors import LockError
from ..indexes import NO_SETTINGS, IndexSettings, PackageIndex, index_from_url, mask_credentials
from ..lambda_runtime import LambdaTarget
from .pin import Pin, marker_applies

_INDEX_URL = ("-i", "--index-url")
_FIND_LINKS = ("-f", "--find-links")
#: Options a layer build honours: where packages come from, and what it does anyway (wheels, hashes).
_HONOURED_OPTIONS = frozenset(
    (*_INDEX_URL, *_FIND_LINKS, "--extra-index-url", "--no-index", "--trusted-host",
     "--only-binary", "--prefer-binary", "--require-hashes")
)
_ENV_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")


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


def _option(line: str) -> Tuple[str, str]:
    """``--name=value``, ``--name value``, ``-i value`` or ``-ivalue`` -> (``--name``/``-i``, value)."""
    head, _, rest = line.partition(" ")
    if head.startswith("--") and "=" in head:
        head, _, value = head.partition("=")
        return head, (value + " " + rest).strip()
    if not head.startswith("--") and len(head) > 2:  # -ivalue
        return head[:2], (head[2:] + " " + rest).strip()
    return head, rest.strip()


def _expand(value: str) -> str:
    """``${NAME}`` from the environment, as pip expands it in requirements files (credentials, mostly)."""
    return _ENV_VARIABLE.sub(lambda match: os.environ.get(match.group(1), match.group(0)), value)


@dataclass(frozen=True)
class RequirementsOptions:
    """What a requirements file's option lines ask for."""

    indexes: Tuple[PackageIndex, ...] = ()
    settings: IndexSettings = NO_SETTINGS
    require_hashes: bool = False


def requirements_options(text: str, *, origin: str, base: Optional[Path] = None) -> RequirementsOptions:
    """The indexes and settings of a requirements file's option lines (``base``: its folder, for
    relative ``--find-links`` paths, as pip resolves them)."""
    indexes: List[PackageIndex] = []
    find_links: List[str] = []
    hosts: List[str] = []
    no_index = require_hashes = False
    for line in _logical_lines(text):
        if not line.startswith("-"):
            continue
        name, value = _option(line)
        value = _expand(value)
        if name in _INDEX_URL:
            indexes.insert(0, index_from_url(f"{origin} {name}", value, default=True))
        elif name == "--extra-index-url":
            indexes.append(index_from_url(f"{origin} {name}", value, default=False))
        elif name in _FIND_LINKS:
            local = base / value if base is not None and "://" not in value else None
            find_links.append(str(local) if local is not None and local.exists() else value)
        elif name == "--trusted-host":
            hosts.append(value)
        elif name == "--no-index":
            no_index = True
        elif name == "--require-hashes":
            require_hashes = True
    defaults = [index for index in indexes if index.default][:1]  # the last --index-url wins, as in pip
    others = [index for index in indexes if not index.default]
    settings = IndexSettings(tuple(find_links), no_index, tuple(hosts))
    return RequirementsOptions(tuple(defaults + others), settings, require_hashes)


def parse_requirements_text(text: str, *, origin: str) -> List[RequirementLine]:
    """Parse ``requirements.txt`` / ``uv export`` output; an option line is honoured by
    :func:`requirements_options`, or refused here naming it."""
    parsed: List[RequirementLine] = []
    for line in _logical_lines(text):
        if line.startswith("-"):
            option, _ = _option(line)
            if option in ("-e", "--editable", "-r", "--requirement", "-c", "--constraint"):
                raise LockError(
                    f"{origin}: `{line}` is not supported in a layer requirement set; list the "
                    "distributions themselves (a layer holds installed wheels only)."
                )
            if option not in _HONOURED_OPTIONS:
                raise LockError(
                    f"{origin}: the option `{mask_credentials(line)}` is not one a layer build can honour. Supported: "
                    f"{', '.join(sorted(_HONOURED_OPTIONS))}. Remove the line (or move the setting to the "
                    "installer's own configuration) and build again."
                )
            continue
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
