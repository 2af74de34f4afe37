"""The one check of requested extras against the ones a project defines, for every source."""

from __future__ import annotations

from typing import Iterable, List, Sequence, Tuple

from shared_core.errors import ConfigError
from shared_core.support.names import normalize_name

#: How the console script and the API name ``extras`` when it came from the shared table.
EXTRAS_KEY = "Field `tool.lambda-layer.extras`"


def chosen_extras(
    requested: Sequence[str], all_extras: bool, defined: Iterable[str], *, name: str = EXTRAS_KEY,
    defined_in: str = "[project.optional-dependencies]",
) -> Tuple[str, ...]:
    """Every extra the project defines (normalised, sorted) for ``all-extras``, else the requested
    ones, checked by :func:`check_extras`: what every source and adapter installs."""
    if all_extras:
        return tuple(sorted({normalize_name(extra) for extra in defined}))
    return check_extras(requested, defined, name=name, defined_in=defined_in)


def check_extras(
    requested: Sequence[str], defined: Iterable[str], *, name: str = EXTRAS_KEY,
    defined_in: str = "[project.optional-dependencies]",
) -> Tuple[str, ...]:
    """The requested extras, normalised, in order and without repeats; any undefined one is an error.

    ``name`` is how the entry point calls the setting (``--extras``, ``Field `<table>.extras```)
    and ``defined_in`` where the project defines its extras, so the message fits the surface.
    """
    known = sorted({normalize_name(extra) for extra in defined})
    chosen: List[str] = []
    missing: List[str] = []
    for extra in requested:
        normalized = normalize_name(extra)
        if normalized not in known:
            missing.append(extra)
        elif normalized not in chosen:
            chosen.append(normalized)
    if missing:
        what = "an extra" if len(missing) == 1 else "extras"
        raise ConfigError(
            f"{name} names {what} that {defined_in} does not define: {', '.join(map(repr, missing))} "
            f"(defined: {', '.join(known) or 'none'})."
        )
    return tuple(chosen)
