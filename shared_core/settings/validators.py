"""The checks a setting's value goes through, each naming the setting as the user wrote it.

Each validator gets the value (from TOML, or the text of a command-line option) and the
setting's name in the user's terms (``Field `tool.lambda-layer.x``` for a table key, ``--x`` for
a flag) and puts that name first in its message.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Tuple

from shared_core.errors import ConfigError


def string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string, got {value!r}.")
    return value.strip()


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be a boolean (true or false), got {value!r}.")
    return value


def string_list(value: Any, name: str) -> Tuple[str, ...]:
    if isinstance(value, tuple):  # a command line's values, already split
        value = list(value)
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"{name} must be an array of non-empty strings, got {value!r}.")
    return tuple(item.strip() for item in value)


def one_or_more(value: Any, name: str, item: Callable[[Any, str], str]) -> Tuple[str, ...]:
    """One value or a list of them (``"3.12"``, ``["3.12", "3.13"]``, a command line's ``3.12,3.13``),
    each checked by ``item``; repeats dropped, order kept (the first is the first target built)."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ConfigError(f"{name} must name at least one value, got an empty list.")
    return tuple(dict.fromkeys(item(one, name) for one in values))


def integer(value: Any, name: str, low: int, high: int) -> int:
    """An integer in ``[low, high]``, from TOML or a command line's text."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer from {low} to {high}, got {value!r}.")
    return value


def one_of(value: Any, name: str, choices: Tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}.")
    return value


def text(value: Any, name: str, limit: int) -> str:
    """A non-empty string of at most ``limit`` characters (Lambda's limits)."""
    checked = string(value, name)
    if len(checked) > limit:
        raise ConfigError(f"{name} must be at most {limit} characters (Lambda's limit), got {len(checked)}.")
    return checked


def seconds(value: Any, name: str, limit: float) -> float:
    """A bounded, positive, finite number of seconds, from TOML (a number) or a command line (text)."""
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or not 0 < number <= limit:
        raise ConfigError(f"{name} must be a number of seconds above 0 and at most {limit:g}, got {value!r}.")
    return number
