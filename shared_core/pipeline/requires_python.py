"""A project's supported Pythons (``requires-python``, or Poetry's ``python`` dependency), as the set
of Lambda runtimes it allows.

The target is chosen against this set (see :mod:`shared_core.pipeline.target`), so only the
Lambda minors matter: a minor is allowed when *some* release of it is (``>=3.12.1`` allows
python3.12: Lambda runs a recent patch release). The console script reads pyproject.toml
itself and translates Poetry's common constraint forms (``^3.12``, ``~3.12``, ``3.12.*``,
``>=3.9,<4``, ``||``); the Poetry adapter asks poetry-core, which knows them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from shared_core.errors import ConfigError
from shared_core.lambda_runtime import SUPPORTED_PYTHON_VERSIONS

#: Patch releases probed per minor: enough for any real ``>=3.12.N`` bound.
_PATCHES = range(0, 100)


@dataclass(frozen=True)
class RequiresPython:
    """``text`` as the user wrote it, ``where`` it is written, and the Lambda minors it allows."""

    text: str
    where: str
    allowed: Tuple[str, ...]

    def describe(self) -> str:
        """``requires-python '>=3.12'``: the project's own words, for messages."""
        return f"{self.where} {self.text!r}"


def allowed_minors(allows: Callable[[str], bool]) -> Tuple[str, ...]:
    """The Lambda minors for which ``allows`` accepts some ``X.Y.Z``."""
    return tuple(
        minor for minor in SUPPORTED_PYTHON_VERSIONS if any(allows(f"{minor}.{patch}") for patch in _PATCHES)
    )


def from_specifier(text: str, where: str = "requires-python") -> Optional[RequiresPython]:
    """A PEP 440 ``requires-python`` (``">=3.11"``); None when empty; an error naming it when invalid."""
    if not text or not text.strip():
        return None
    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier:
        raise ConfigError(
            f"{where} {text!r} in pyproject.toml is not a valid version specifier (PEP 440, e.g. \">=3.12\"). "
            "Fix it, or set python-version in [tool.lambda-layer]."
        ) from None
    return RequiresPython(text.strip(), where, allowed_minors(lambda version: specifiers.contains(version, prereleases=True)))


_VERSION = r"\d+(?:\.\d+){0,2}"
_CARET = re.compile(rf"^\^({_VERSION})$")
_TILDE = re.compile(rf"^~({_VERSION})$")
_WILDCARD = re.compile(r"^(==|!=)?(\d+(?:\.\d+)?)\.\*$")
_BARE = re.compile(rf"^({_VERSION})$")
_OPERATOR = re.compile(rf"^(>=|<=|>|<|==|!=|~=)\s*({_VERSION}(?:\.\*)?)$")


def _parts(version: str) -> List[int]:
    return [int(part) for part in version.split(".")]


def _poetry_term(term: str) -> Optional[str]:
    """One Poetry constraint term as a PEP 440 specifier set; None for a form we do not know."""
    if term in ("*", ""):
        return ""
    caret = _CARET.match(term)
    if caret:
        parts = _parts(caret.group(1))
        first = next((index for index, part in enumerate(parts) if part != 0), len(parts) - 1)
        upper = [*parts[:first], parts[first] + 1]
        return f">={caret.group(1)},<{'.'.join(map(str, upper))}"
    tilde = _TILDE.match(term)
    if tilde:
        parts = _parts(tilde.group(1))
        upper = [parts[0] + 1] if len(parts) == 1 else [parts[0], parts[1] + 1]
        return f">={tilde.group(1)},<{'.'.join(map(str, upper))}"
    wildcard = _WILDCARD.match(term)
    if wildcard:
        return f"{wildcard.group(1) or '=='}{wildcard.group(2)}.*"
    bare = _BARE.match(term)
    if bare:
        return f"=={bare.group(1)}.*" if bare.group(1).count(".") < 2 else f"=={bare.group(1)}"
    operator = _OPERATOR.match(term)
    if operator:
        return f"{operator.group(1)}{operator.group(2)}"
    return None


def from_poetry_constraint(text: str, where: str = "python in [tool.poetry.dependencies]") -> Optional[RequiresPython]:
    """Poetry's ``python = "^3.12"`` (also ``~3.12``, ``3.12.*``, ``>=3.9,<4.0``, ``>=3.9 <4``, ``a || b``).

    None when empty; an error naming the constraint when a term is not one of those forms.
    """
    if not text or not text.strip():
        return None
    alternatives: List[SpecifierSet] = []
    for alternative in text.split("||"):
        terms = [term for term in re.split(r"\s*,\s*|\s+(?=[<>=!~^\d*])", alternative.strip()) if term]
        translated = [_poetry_term(term.replace(" ", "")) for term in terms]
        if any(term is None for term in translated):
            raise ConfigError(
                f"{where} {text!r} in pyproject.toml is not a Python constraint this tool can read. "
                "Set python-version in [tool.lambda-layer] (or pass --python) to choose the Lambda runtime."
            )
        alternatives.append(SpecifierSet(",".join(term for term in translated if term)))
    return RequiresPython(
        text.strip(), where,
        allowed_minors(lambda version: any(spec.contains(version, prereleases=True) for spec in alternatives)),
    )


def of_pyproject(pyproject: Mapping[str, Any]) -> Optional[RequiresPython]:
    """``[project] requires-python``, else ``[tool.poetry.dependencies] python``, else None."""
    requires = pyproject.get("project", {}).get("requires-python")
    if isinstance(requires, str) and requires.strip():
        return from_specifier(requires)
    python = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(python, str) and python.strip():
        return from_poetry_constraint(python)
    return None
