"""Which Lambda runtime the layer is built for, and why, said on every build.

Order: the command line, then the config table (both in ``LayerConfig.python_version``, with
their origin; each version given is one target per architecture), then the project itself: a ``requires-python`` that allows exactly one Lambda
runtime picks it; otherwise the running interpreter when the project allows it, else the oldest
runtime the project allows. An explicit target the project excludes is an error naming both,
before anything is resolved (never a resolver dump).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import Optional, Sequence, Tuple

from shared_core.errors import ConfigError, UnsupportedTargetError
from shared_core.lambda_runtime import SUPPORTED_PYTHON_VERSIONS, LambdaTarget, deprecation_warning
from shared_core.pipeline.requires_python import RequiresPython
from shared_core.settings.layer import SHARED_TABLE, LayerConfig
from shared_core.support.reporting import Reporter

PIN_HINT = "set python-version to pin it"


@dataclass(frozen=True)
class TargetChoice:
    """The target, why it was chosen (``python-version from [tool.lambda-layer]``) and any warning."""

    target: LambdaTarget
    reason: str
    warning: Optional[str] = None

    def describe(self) -> str:
        """``python3.12 arm64 (python-version from [tool.lambda-layer])``."""
        return f"{self.target.runtime_name} {self.target.architecture} ({self.reason})"


def _runtimes(versions: Tuple[str, ...]) -> str:
    return ", ".join(f"python{version}" for version in versions) or "none"


def how_to_set(table: str) -> str:
    """How to set the target on the surface whose settings live in ``table``."""
    if table == SHARED_TABLE:
        return f"Set python-version in [{SHARED_TABLE}] (or pass --python)"
    return f"Set python-version in [{table}] or [{SHARED_TABLE}]"


def choose_python(
    chosen: Optional[str], chosen_from: str, requires: Optional[RequiresPython], running: str,
    *, table: str = SHARED_TABLE,
) -> Tuple[str, str]:
    """``(version, reason)`` for an explicit ``chosen`` (or None), the project's ``requires``, the ``running`` X.Y."""
    if requires is not None and not requires.allowed:
        raise UnsupportedTargetError(
            f"The project's {requires.describe()} (pyproject.toml) allows no Lambda Python runtime "
            f"({_runtimes(SUPPORTED_PYTHON_VERSIONS)}). Widen it to include the runtime the layer is for."
        )
    if chosen is not None:
        if requires is not None and chosen not in requires.allowed:
            raise UnsupportedTargetError(
                f"python{chosen} ({chosen_from}) is excluded by the project's {requires.describe()} (pyproject.toml), "
                f"which allows {_runtimes(requires.allowed)} on Lambda. Choose one of those, or change {requires.where}."
            )
        return chosen, chosen_from
    if requires is not None:
        if len(requires.allowed) == 1:
            return requires.allowed[0], f"the only Lambda runtime {requires.describe()} allows"
        if running in requires.allowed:
            return running, f"the running interpreter; {PIN_HINT}"
        return requires.allowed[0], (
            f"the oldest Lambda runtime {requires.describe()} allows; the running interpreter is {running}; {PIN_HINT}"
        )
    if running not in SUPPORTED_PYTHON_VERSIONS:
        raise UnsupportedTargetError(
            f"The running interpreter is Python {running}, which is not a Lambda runtime, and the project sets no "
            f"requires-python. {how_to_set(table)} to one of {', '.join(SUPPORTED_PYTHON_VERSIONS)}."
        )
    return running, f"the running interpreter; {PIN_HINT}"


def choose_targets(
    config: LayerConfig,
    requires: Optional[RequiresPython],
    *,
    running: Optional[str] = None,
    today: Optional[date] = None,
    table: str = SHARED_TABLE,
) -> Tuple[TargetChoice, ...]:
    """Every target ``config`` asks for, each Python version by each architecture, in the order given;
    ``requires``: the project's; ``table`` names unset keys in messages. An unset ``python-version``
    is one version, decided by :func:`choose_python`."""
    origin = config.origin("python_version")
    chosen_from = origin.source if origin else f"python-version from [{table}]"
    running = running or "%d.%d" % sys.version_info[:2]
    chosen = [choose_python(version, chosen_from, requires, running, table=table)
              for version in config.python_version or (None,)]
    return tuple(
        TargetChoice(LambdaTarget(version, architecture), reason, deprecation_warning(version, today or date.today()))
        for version, reason in chosen for architecture in config.architecture
    )


def choose_target(
    config: LayerConfig,
    requires: Optional[RequiresPython],
    *,
    running: Optional[str] = None,
    today: Optional[date] = None,
    table: str = SHARED_TABLE,
) -> TargetChoice:
    """The one target of an entry point that builds one (the Python API's steps): more is an error."""
    choices = choose_targets(config, requires, running=running, today=today, table=table)
    if len(choices) > 1:
        names = ", ".join(choice.target.name for choice in choices)
        raise ConfigError(
            f"This step builds one target, and the settings ask for {len(choices)} ({names}). Give one python-version "
            "and one architecture, or build them all with `lambda-layer build` (shared_core.build_layers)."
        )
    return choices[0]


def announce_targets(choices: Sequence[TargetChoice], reporter: Reporter) -> None:
    """``targets: python3.12 x86_64, python3.12 arm64, ... (python-version from --python)``, and any deprecation."""
    reasons = ", ".join(dict.fromkeys(choice.reason for choice in choices))
    reporter.info(f"targets: {', '.join(f'{c.target.runtime_name} {c.target.architecture}' for c in choices)} ({reasons})")
    for warning in dict.fromkeys(choice.warning for choice in choices if choice.warning):
        reporter.warning(warning)


def announce_target(choice: TargetChoice, reporter: Reporter) -> None:
    """``target: python3.12 arm64 (python-version from [tool.lambda-layer])``, and any deprecation."""
    reporter.info(f"target: {choice.describe()}")
    if choice.warning:
        reporter.warning(choice.warning)
