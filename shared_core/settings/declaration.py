"""One declaration per setting: its key, validator, default, command-line option and help.

A setting is a dataclass field made by :func:`setting`. Every surface reads the declarations:
the tables' validation (``[tool.lambda-layer]``, Hatch's target table, the publish tables), the
console script's and Poetry's options, ``hatch publish -o`` keys and the README's lists. Adding a
setting is one field (and the code that uses its value).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, ClassVar, Dict, Mapping, Optional, Tuple, Type, TypeVar

#: ``validate(value, name)``: the value checked and normalised, or a ConfigError whose message
#: starts with ``name`` as the user wrote it (``Field `tool.lambda-layer.x``` or ``--x``).
Validator = Callable[[Any, str], Any]


class Action(str, enum.Enum):
    """How a command-line option sets its setting."""

    VALUE = "value"      # --python 3.12
    LIST = "list"        # -E a,b -E c: repeatable, comma or space separated; replaces the table's list
    EXTEND = "extend"    # --exclude x: repeatable; adds to the table's list
    ENABLE = "enable"    # --allow-oversize: sets true
    DISABLE = "disable"  # --no-compile: sets false


@dataclass(frozen=True)
class Setting:
    """A setting as every surface sees it. ``key`` is its table key; the attribute is the field's name."""

    key: str
    default: Any
    validate: Validator
    help: str
    flag: Optional[str] = None
    short: Optional[str] = None
    metavar: Optional[str] = None
    action: Action = Action.VALUE
    #: Options of one group given together replace the table's values of the whole group (as
    #: ``poetry install`` treats ``--with/--without/--only``): the others fall back to their defaults.
    group: Optional[str] = None
    #: Another setting (attribute) this option may not be given with on the command line.
    excludes: Optional[str] = None
    #: What the README's table says for the default when the value alone would not (``None``).
    shown_default: Optional[str] = None

    @property
    def attribute(self) -> str:
        return self.key.replace("-", "_")

    @property
    def on_command_line(self) -> bool:
        return self.flag is not None


_SPEC = "lambda_layer_setting"


def setting(default: Any, validate: Validator, help: str, **options: Any) -> Any:
    """A dataclass field declaring a setting (``options``: :class:`Setting`'s flag, short, metavar,
    action, group, excludes). Tuple defaults stay immutable, so no factory is needed."""
    spec = {"default": default, "validate": validate, "help": help, **options}
    return field(default=default, metadata={_SPEC: spec})


def declared(cls: type) -> Tuple[Setting, ...]:
    """The settings a dataclass declares, in declaration order."""
    return tuple(Setting(key=item.name.replace("_", "-"), **item.metadata[_SPEC]) for item in fields(cls)
                 if _SPEC in item.metadata)


@dataclass(frozen=True)
class SettingOrigin:
    """Where one setting's value came from: a command-line flag, or a key of a pyproject table."""

    flag: Optional[str] = None  # "--python"
    table: Optional[str] = None  # "tool.lambda-layer"
    key: Optional[str] = None  # "python-version"

    @property
    def label(self) -> str:
        """The name to put in a message: ``--python`` or ``Field `tool.lambda-layer.python-version```."""
        return self.flag or f"Field `{self.table}.{self.key}`"

    @property
    def source(self) -> str:
        """Said after a value: ``--python`` or ``python-version from [tool.lambda-layer]``."""
        return self.flag or f"{self.key} from [{self.table}]"


Configured = TypeVar("Configured", bound="Settings")


@dataclass(frozen=True)
class Settings:
    """A validated set of settings that remembers where each value came from (for messages)."""

    #: attribute name -> where its value came from; absent for defaults.
    origins: Mapping[str, SettingOrigin] = field(default_factory=dict, compare=False, hash=False)

    #: The table whose keys these settings are when nothing says otherwise (messages).
    DEFAULT_TABLE = ""
    #: Sub-tables of a table that are other settings (``publish`` in ``[tool.lambda-layer]``), by
    #: table name and key: validated as those settings, listed among the known keys.
    NESTED: ClassVar[Mapping[str, Mapping[str, Type["Settings"]]]] = {}

    def __post_init__(self) -> None:
        """Every value through its declaration's validator, also when the settings are made in Python
        (``LayerConfig(python_version="3.12")`` is the one-target list it means, not four characters);
        values read from tables and command lines pass unchanged, being valid already."""
        for item in self.settings():
            value = getattr(self, item.attribute)
            if value is not None and value != item.default:
                object.__setattr__(self, item.attribute, item.validate(value, f"{type(self).__name__}({item.attribute}=)"))

    def origin(self, attribute: str) -> Optional[SettingOrigin]:
        return self.origins.get(attribute)

    def label(self, attribute: str, table: Optional[str] = None) -> str:
        """How to name ``attribute`` in a message: where it was set, else its key in ``table``."""
        origin = self.origins.get(attribute)
        return origin.label if origin else SettingOrigin(table=table or self.DEFAULT_TABLE, key=attribute.replace("_", "-")).label

    def with_values(self: Configured, values: Mapping[str, Any], origins: Mapping[str, SettingOrigin]) -> Configured:
        """These settings with ``values`` (by attribute), remembering their ``origins``."""
        return replace(self, origins={**self.origins, **origins}, **values)

    @classmethod
    def settings(cls) -> Tuple[Setting, ...]:
        return declared(cls)


def by_key(cls: Type[Settings]) -> Dict[str, Setting]:
    return {item.key: item for item in cls.settings()}


def _toml(value: Any) -> str:
    """A default as it is written in pyproject.toml (``None``: decided at build time)."""
    if value is None:
        return "(decided)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`[" + ", ".join(f'"{item}"' for item in value) + "]`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def reference_table(cls: Type[Settings]) -> str:
    """The README's table of ``cls``'s settings: key, default, command-line option, meaning (derived,
    so the README cannot drift from the declarations; ``tools/readme_settings.py`` writes it)."""
    rows = ["| key | default | option | what it does |", "|---|---|---|---|"]
    for item in cls.settings():
        option = ", ".join(f"`{name}`" for name in (item.short, item.flag) if name) or "(table only)"
        rows.append(f"| `{item.key}` | {item.shown_default or _toml(item.default)} | {option} | {item.help} |")
    return "\n".join(rows) + "\n"
