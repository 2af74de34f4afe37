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
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from shared_core.errors import LockError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.indexes import NO_SETTINGS, IndexSettings, PackageIndex, index_from_url
from shared_core.pins.local import local_pin, path_from_reference
from shared_core.pins.model import Pin, marker_applies
from shared_core.support.names import normalize_name
from shared_core.support.reporting import mask_credentials

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
    #: ``-e PATH``: a local project, installed as a regular distribution all the same.
    editable: bool = False

    def parsed(self, origin: str) -> Optional[Requirement]:
        """The PEP 508 requirement, None for a bare path or URL (``./lib``, ``file:///lib``)."""
        if self.editable or (path_from_reference(self.requirement, Path(".")) is not None and "@" not in self.requirement):
            return None
        try:
            return Requirement(self.requirement)
        except InvalidRequirement as exc:
            raise LockError(f"{origin}: `{mask_credentials(self.requirement)}` is not a valid requirement ({exc}).") from None

    def exact_pin(self) -> Optional[Tuple[str, str]]:
        """(name, version) when the line is ``name==version`` (extras allowed) with no URL, else None."""
        try:
            requirement = Requirement(self.requirement)
        except InvalidRequirement:
            return None
        specifiers = list(requirement.specifier)
        if requirement.url or len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
            return None
        return requirement.name, specifiers[0].version

    def local(self, base: Path, origin: str) -> Optional[Pin]:
        """The local distribution this line names (a path, ``file://`` URL or ``-e``), or None.

        A remote direct reference (``name @ https://...``, ``git+...``) is refused: a layer is
        built from index releases and local paths, whose content the build can vouch for.
        """
        requirement = self.parsed(origin)
        reference = self.requirement if requirement is None else requirement.url
        if reference is None:
            return None
        path = path_from_reference(reference, base)
        if path is None:
            raise LockError(
                f"{origin}: `{mask_credentials(self.requirement)}` is a direct URL, which a layer build does not "
                "download: a layer holds index releases and local paths only. Publish it to an index (and pin "
                "it), or download it and name the local file or folder instead."
            )
        return local_pin(requirement.name if requirement is not None else None, path, origin=origin)


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


def _hashes_and_body(tokens: Sequence[str]) -> Tuple[Tuple[str, ...], str]:
    """``--hash=sha256:x`` and pip's other spelling, ``--hash sha256:x``, apart from the requirement."""
    hashes: List[str] = []
    body: List[str] = []
    following = False
    for token in tokens:
        if following:
            hashes.append(token)
            following = False
        elif token == "--hash":
            following = True
        elif token.startswith("--hash="):
            hashes.append(token.split("=", 1)[1])
        else:
            body.append(token)
    return tuple(hashes), " ".join(body)


def parse_requirements_text(text: str, *, origin: str) -> List[RequirementLine]:
    """Parse ``requirements.txt`` / ``uv export`` output; an option line is honoured by
    :func:`requirements_options`, or refused here naming it."""
    parsed: List[RequirementLine] = []
    for line in _logical_lines(text):
        editable = False
        if line.startswith("-"):
            option, value = _option(line)
            if option in ("-e", "--editable"):
                line, editable = value, True
            elif option in ("-r", "--requirement", "-c", "--constraint"):
                raise LockError(
                    f"{origin}: `{line}` is not supported in a layer requirement set; list the "
                    "distributions themselves (a layer holds installed wheels only)."
                )
            elif option not in _HONOURED_OPTIONS:
                raise LockError(
                    f"{origin}: the option `{mask_credentials(line)}` is not one a layer build can honour. Supported: "
                    f"{', '.join(sorted(_HONOURED_OPTIONS))}. Remove the line (or move the setting to the "
                    "installer's own configuration) and build again."
                )
            else:
                continue
        hashes, body = _hashes_and_body(line.split())
        requirement, _, marker = body.partition(";")
        parsed.append(RequirementLine(requirement.strip(), hashes, marker.strip() or None, editable))
    return parsed


def conflicting_pins(lines: Sequence[RequirementLine], *, origin: str) -> None:
    """Refuse two exact pins of one distribution with different versions, as pip does.

    ``foo==1.0`` and ``Foo==2.0`` (or ``foo_bar``/``foo-bar``) name one distribution: keeping
    either silently builds a layer the file's author did not ask for.
    """
    seen: Dict[str, RequirementLine] = {}
    for line in lines:
        exact = line.exact_pin()
        if exact is None or line.marker:
            continue
        key = normalize_name(exact[0])
        first = seen.setdefault(key, line)
        first_exact = first.exact_pin()
        if first is not line and first_exact is not None and first_exact[1] != exact[1]:
            raise LockError(
                f"{origin} pins {exact[0]} twice with different versions: `{first.requirement}` and "
                f"`{line.requirement}`. pip refuses such a file as a conflict; keep the one you mean and build again."
            )


def exact_pins(lines: Sequence[RequirementLine], target: LambdaTarget, *, origin: str, base: Path = Path(".")) -> Optional[List[Pin]]:
    """Pins for the target when every line is an exact pin or a local distribution; None when
    something needs resolving. ``base``: where relative paths start (the file's folder)."""
    pins: List[Pin] = []
    for line in lines:
        local = line.local(base, origin)
        exact = line.exact_pin() if local is None else (local.name, local.version)
        if exact is None:
            return None
        if marker_applies(line.marker, target, where=f" in {origin}"):
            pins.append(local or Pin(exact[0], exact[1], line.hashes))
    return pins


def requested_extras(lines: Sequence[RequirementLine]) -> Dict[str, FrozenSet[str]]:
    """``{normalised name: extras}`` the lines ask for (``requests[socks]``): what the layer must hold."""
    wanted: Dict[str, FrozenSet[str]] = {}
    for line in lines:
        try:
            requirement = Requirement(line.requirement)
        except InvalidRequirement:
            continue
        if requirement.extras:
            key = normalize_name(requirement.name)
            wanted[key] = wanted.get(key, frozenset()) | frozenset(requirement.extras)
    return wanted
