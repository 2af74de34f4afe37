"""Settings from pyproject tables and command lines, read through their declarations.

Every table of ours is validated here (``[tool.lambda-layer]``, Hatch's target table, both
publish tables), each key by its declared validator and named in full in any message; every
command line's values are applied here, by each declaration's action and group.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Type, TypeVar

from shared_core.errors import ConfigError
from shared_core.settings.declaration import Action, SettingOrigin, Settings, by_key

S = TypeVar("S", bound=Settings)

#: Keys that belong to someone else in a table, by the table's dotted name (Hatch's own keys in
#: its target and publisher tables); in any other table they are unknown keys.
IgnoredKeys = Mapping[str, Tuple[str, ...]]


def validate_table(cls: Type[Settings], table: Any, name: str, *, ignore: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """``{attribute: value}`` for the keys of the table ``name``, each checked by its declaration as
    ``Field `<name>.<key>``` (a sub-table of other settings, :attr:`Settings.NESTED`, as those); an
    unknown key is an error that lists the known ones."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"Field `{name}` must be a table, got {table!r}.")
    declared = by_key(cls)
    nested = cls.NESTED.get(name, {})
    values: Dict[str, Any] = {}
    for key, value in table.items():
        if key in ignore:
            continue
        if key in nested:
            validate_table(nested[key], value, f"{name}.{key}")
            continue
        setting = declared.get(key)
        if setting is None:
            known = ", ".join((*declared, *nested))
            raise ConfigError(f"Unknown field `{name}.{key}` in pyproject.toml. Known keys: {known}.")
        values[setting.attribute] = setting.validate(value, f"Field `{name}.{key}`")
    return values


def from_tables(cls: Type[S], *tables: Tuple[Any, str], ignore: Optional[IgnoredKeys] = None) -> S:
    """Merge validated tables, later ones winning key by key (Hatch's table over the shared one)."""
    merged: Dict[str, Any] = {}
    origins: Dict[str, SettingOrigin] = {}
    for table, name in tables:
        values = validate_table(cls, table, name, ignore=(ignore or {}).get(name, ()))
        merged.update(values)
        origins.update({attribute: SettingOrigin(table=name, key=attribute.replace("_", "-")) for attribute in values})
    return cls(origins=origins, **merged)


_OPTION_SEPARATORS = re.compile(r"[,\s]+")


def split_option_values(values: Optional[Iterable[str]]) -> Tuple[str, ...]:
    """``-E "a b" -E c,d`` -> ``("a", "b", "c", "d")``: repeated options, comma or space separated,
    as ``poetry install -E`` reads them (names never contain either)."""
    if isinstance(values, str):
        values = [values]
    return tuple(item for value in values or () for item in _OPTION_SEPARATORS.split(value) if item)


def _given(value: Any) -> bool:
    return value not in (None, False, (), [], "")


def apply_command_line(config: S, given: Mapping[str, Any], *, named: Optional[Mapping[str, str]] = None) -> S:
    """Command-line values (``{attribute: what the option gave}``, falsy when not given) over the tables.

    Each value goes through its declaration: a switch sets its boolean, a list option replaces the
    table's list (``--exclude`` adds to it), options of one group replace the whole group, and an
    option given with one it excludes is an error. ``named``: how the surface spells each option
    when not as its flag (Hatch's ``-o layer-name``).
    """
    declared = {setting.attribute: setting for setting in config.settings()}
    present = {attribute: value for attribute, value in given.items() if _given(value)}
    unknown = sorted(set(present) - set(declared))
    if unknown:
        raise ConfigError(f"Unknown settings: {', '.join(unknown)}.")  # a bug in the surface, not the user's input

    def name(attribute: str) -> str:
        return (named or {}).get(attribute) or str(declared[attribute].flag or f"--{declared[attribute].key}")

    for attribute in present:
        excluded = declared[attribute].excludes
        if excluded and excluded in present:
            raise ConfigError(f"You cannot specify explicit {name(excluded)} while using {name(attribute)}.")
    values: Dict[str, Any] = {}
    for attribute, raw in present.items():
        setting = declared[attribute]
        if setting.action is Action.ENABLE:
            value = True
        elif setting.action is Action.DISABLE:
            value = False
        elif setting.action in (Action.LIST, Action.EXTEND):
            value = setting.validate(split_option_values(raw), name(attribute))
        else:
            value = setting.validate(raw, name(attribute))
        if setting.action is Action.EXTEND:
            value = tuple(dict.fromkeys((*getattr(config, attribute), *value)))
        values[attribute] = value
    groups = {declared[attribute].group for attribute in values} - {None}
    for setting in declared.values():
        if setting.group in groups and setting.attribute not in values:
            values[setting.attribute] = setting.default
    origins = {attribute: SettingOrigin(flag=name(attribute)) for attribute in values}
    return config.with_values(values, origins)
