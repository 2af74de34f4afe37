"""``[tool.lambda-layer]``: one validated configuration shared by every entry point.

Each key is checked for its type and range, and a bad value is reported in the terms of the
surface it came from: the full dotted key (``tool.lambda-layer.<key>`` or
``tool.hatch.build.targets.lambda-layer.<key>``, in Hatch's wording) for a table, the flag
(``--installer``) for the command line. The configuration remembers where every value came
from (:attr:`LayerConfig.origins`), so later messages can name it the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple

from shared_core.errors import ConfigError
from shared_core.lambda_runtime import RUNTIME_PROVIDED, normalize_architecture, normalize_python_version
from shared_core.pack.zip_writer import MAX_COMPRESSION_LEVEL
from shared_core.paths import layer_output_path
from shared_core.user_files import read_user_text, tomllib

SHARED_TABLE = "tool.lambda-layer"
HATCH_TARGET_TABLE = "tool.hatch.build.targets.lambda-layer"

#: Distributions dropped unless ``default-excludes = false``: provided by the Lambda runtime,
#: or build and test tools that have no business in a layer.
DEFAULT_EXCLUDES: Tuple[str, ...] = (*RUNTIME_PROVIDED, "setuptools", "pip", "wheel", "twine", "pytest", "_pytest")

DEFAULT_COMPRESSION_LEVEL = 9
INSTALLERS = ("uv", "pip")


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


@dataclass(frozen=True)
class LayerConfig:
    """Every setting of a layer build; ``None`` means "decide from the project or the machine"."""

    python_version: Optional[str] = None
    architecture: Optional[str] = None
    exclude_packages: Tuple[str, ...] = ()
    default_excludes: bool = True
    output: Optional[str] = None
    compression_level: int = DEFAULT_COMPRESSION_LEVEL
    compile_bytecode: bool = True
    allow_sdist: Tuple[str, ...] = ()
    installer: str = "uv"
    extras: Tuple[str, ...] = ()
    all_extras: bool = False
    with_groups: Tuple[str, ...] = ()
    without_groups: Tuple[str, ...] = ()
    only_groups: Tuple[str, ...] = ()
    all_groups: bool = False
    requirements: str = "requirements.txt"
    allow_oversize: bool = False
    drop_package_tests: bool = False
    #: Ship modules the target's Python cannot compile as source (a warning and an incomplete layer), not an error.
    allow_invalid_python: bool = False

    #: attribute name -> where its value came from; absent for defaults.
    origins: Mapping[str, SettingOrigin] = field(default_factory=dict, compare=False, hash=False)

    def origin(self, attribute: str) -> Optional[SettingOrigin]:
        return self.origins.get(attribute)

    def label(self, attribute: str, table: str = "tool.lambda-layer") -> str:
        """How to name ``attribute`` in a message: where it was set, else its key in ``table``."""
        origin = self.origins.get(attribute)
        return origin.label if origin else SettingOrigin(table=table, key=attribute.replace("_", "-")).label

    @property
    def excluded_patterns(self) -> Tuple[str, ...]:
        """The effective exclusion list: the defaults (unless turned off) plus ``exclude-packages``."""
        defaults = DEFAULT_EXCLUDES if self.default_excludes else ()
        merged = list(defaults)
        for name in self.exclude_packages:
            if name not in merged:
                merged.append(name)
        return tuple(merged)

    def output_path(self, project_root: Path) -> Path:
        """Where the zip goes: ``output`` (a directory gets ``layer.zip``) or the default."""
        return layer_output_path(project_root, self.output)

    def with_overrides(self, flags: Optional[Mapping[str, str]] = None, **overrides: Any) -> "LayerConfig":
        """Command-line values win; ``None`` (option not given) keeps the configured value.

        ``flags`` names the option of each attribute (``{"python_version": "--python"}``), so the
        configuration remembers that the value came from the command line.
        """
        given = {key: value for key, value in overrides.items() if value is not None}
        origins = dict(self.origins)
        origins.update({key: SettingOrigin(flag=(flags or {}).get(key, "--" + key.replace("_", "-"))) for key in given})
        return replace(self, origins=origins, **given)


# -- validation ----------------------------------------------------------------------------------

Validator = Callable[[Any, str], Any]


# Each validator gets the setting's name as the user wrote it (``Field `tool.lambda-layer.x```
# for a table key, ``--x`` for a flag) and puts it first in its message.


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string, got {value!r}.")
    return value.strip()


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be a boolean (true or false), got {value!r}.")
    return value


def _string_list(value: Any, name: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"{name} must be an array of non-empty strings, got {value!r}.")
    return tuple(item.strip() for item in value)


def _python_version(value: Any, name: str) -> str:
    if isinstance(value, float):
        raise ConfigError(f'{name} must be a string such as "3.12" (quoted), got the number {value!r}.')
    return normalize_python_version(_string(value, name), name)


def _architecture(value: Any, name: str) -> str:
    return normalize_architecture(_string(value, name), name)


def _compression_level(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COMPRESSION_LEVEL:
        raise ConfigError(f"{name} must be an integer from 0 to {MAX_COMPRESSION_LEVEL}, got {value!r}.")
    return value


def _installer(value: Any, name: str) -> str:
    if value not in INSTALLERS:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, INSTALLERS))}, got {value!r}.")
    return value


_VALIDATORS: Dict[str, Validator] = {
    "python-version": _python_version,
    "architecture": _architecture,
    "exclude-packages": _string_list,
    "default-excludes": _bool,
    "output": _string,
    "compression-level": _compression_level,
    "compile-bytecode": _bool,
    "allow-sdist": _string_list,
    "installer": _installer,
    "extras": _string_list,
    "all-extras": _bool,
    "with-groups": _string_list,
    "without-groups": _string_list,
    "only-groups": _string_list,
    "all-groups": _bool,
    "requirements": _string,
    "allow-oversize": _bool,
    "drop-package-tests": _bool,
    "allow-invalid-python": _bool,
}

CONFIG_KEYS: Tuple[str, ...] = tuple(_VALIDATORS)
#: The sub-table ``[tool.lambda-layer.publish]`` (validated by :mod:`shared_core.publish.settings`).
PUBLISH_KEY = "publish"


#: Keys that belong to someone else in a table, by the table's dotted name (Hatch's own keys in
#: its target and publisher tables); in any other table they are unknown keys.
IgnoredKeys = Mapping[str, Tuple[str, ...]]


def validate_fields(
    table: Any, name: str, validators: Mapping[str, Validator], *, ignore: Tuple[str, ...] = (),
    also_known: Tuple[str, ...] = (),
) -> Dict[str, Any]:
    """``{python_attribute_name: value}`` for the keys of the table ``name``, each checked by its
    validator as ``Field `<name>.<key>```; an unknown key is an error that lists the known ones.

    Every table of ours is validated here: ``[tool.lambda-layer]``, Hatch's target table and the
    publish tables. ``ignore``: keys of this table that are someone else's; ``also_known``: keys
    validated elsewhere (a sub-table), listed among the known ones.
    """
    if not isinstance(table, Mapping):
        raise ConfigError(f"Field `{name}` must be a table, got {table!r}.")
    values: Dict[str, Any] = {}
    for key, value in table.items():
        if key in ignore:
            continue
        validator = validators.get(key)
        if validator is None:
            known = ", ".join((*validators, *also_known))
            raise ConfigError(f"Unknown field `{name}.{key}` in pyproject.toml. Known keys: {known}.")
        values[key.replace("-", "_")] = validator(value, f"Field `{name}.{key}`")
    return values


def validate_table(table: Mapping[str, Any], name: str = SHARED_TABLE, *, ignore: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """Validate a table of build settings; returns ``{python_attribute_name: value}`` for the keys present.

    In ``[tool.lambda-layer]``, the ``publish`` sub-table is validated as publish settings, not
    build settings.
    """
    if name != SHARED_TABLE:
        return validate_fields(table, name, _VALIDATORS, ignore=ignore)
    if isinstance(table, Mapping) and PUBLISH_KEY in table:
        from shared_core.publish.settings import validate_publish_table

        validate_publish_table(table[PUBLISH_KEY], f"{name}.{PUBLISH_KEY}")
    return validate_fields(table, name, _VALIDATORS, ignore=(*ignore, PUBLISH_KEY), also_known=(PUBLISH_KEY,))


def config_from_tables(*tables: Tuple[Mapping[str, Any], str], ignore: Optional[IgnoredKeys] = None) -> LayerConfig:
    """Merge validated tables, later ones winning key by key (Hatch's target table over the shared one)."""
    merged: Dict[str, Any] = {}
    origins: Dict[str, SettingOrigin] = {}
    for table, name in tables:
        values = validate_table(table, name, ignore=(ignore or {}).get(name, ()))
        merged.update(values)
        origins.update({attribute: SettingOrigin(table=name, key=attribute.replace("_", "-")) for attribute in values})
    return LayerConfig(origins=origins, **merged)


def read_pyproject(path: Path) -> Dict[str, Any]:
    """Parse pyproject.toml, turning a missing, unreadable or broken file into a ConfigError naming it."""
    if not Path(path).exists():
        raise ConfigError(f"{path} does not exist. Run the command in the project directory or pass its pyproject.toml.")
    text = read_user_text(path, error=ConfigError, fix="Replace it with the project's pyproject.toml, a UTF-8 TOML file.")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file and run again.") from None


def shared_table(pyproject: Mapping[str, Any]) -> Mapping[str, Any]:
    return pyproject.get("tool", {}).get("lambda-layer", {})


def load_config(path_pyproject_toml: Path) -> LayerConfig:
    """The project's ``[tool.lambda-layer]`` as a validated :class:`LayerConfig` (defaults without a pyproject)."""
    if not Path(path_pyproject_toml).exists():
        return LayerConfig()
    return config_from_tables((shared_table(read_pyproject(path_pyproject_toml)), SHARED_TABLE))


#: The command-line flag of each setting, the same in the console script and in Poetry.
OPTION_FLAGS: Mapping[str, str] = {
    "python_version": "--python",
    "architecture": "--arch",
    "exclude_packages": "--exclude",
    "default_excludes": "--no-default-excludes",
    "output": "--output",
    "compile_bytecode": "--no-compile",
    "installer": "--installer",
    "extras": "--extras",
    "all_extras": "--all-extras",
    "with_groups": "--with",
    "without_groups": "--without",
    "only_groups": "--only",
    "all_groups": "--all-groups",
    "compression_level": "--compression-level",
    "allow_oversize": "--allow-oversize",
    "allow_invalid_python": "--allow-invalid-python",
}

_OPTION_SEPARATORS = re.compile(r"[,\s]+")


def split_option_values(values: Optional[Iterable[str]]) -> Tuple[str, ...]:
    """``-E "a b" -E c,d`` -> ``("a", "b", "c", "d")``: repeated options, comma or space separated,
    as ``poetry install -E`` reads them (names never contain either)."""
    return tuple(item for value in values or () for item in _OPTION_SEPARATORS.split(value) if item)


def apply_options(
    config: LayerConfig,
    *,
    python_version: Optional[str] = None,
    architecture: Optional[str] = None,
    exclude: Tuple[str, ...] = (),
    no_default_excludes: bool = False,
    output: Optional[str] = None,
    no_compile: bool = False,
    installer: Optional[str] = None,
    extras: Tuple[str, ...] = (),
    all_extras: bool = False,
    with_groups: Tuple[str, ...] = (),
    without_groups: Tuple[str, ...] = (),
    only_groups: Tuple[str, ...] = (),
    all_groups: bool = False,
    compression_level: Optional[str] = None,
    allow_oversize: bool = False,
    drop_package_tests: bool = False,
    allow_invalid_python: bool = False,
) -> LayerConfig:
    """Command-line options over the configured table: given options win, ``--exclude`` adds.

    As in ``poetry install``: any of ``--with/--without/--only/--all-groups`` replaces the table's
    group keys as a whole, and ``-E``/``--all-extras`` replace ``extras``/``all-extras``.
    """
    if extras and all_extras:
        raise ConfigError("You cannot specify explicit --extras while using --all-extras.")
    groups_given = bool(with_groups or without_groups or only_groups or all_groups)
    extras_given = bool(extras or all_extras)
    level = None
    if compression_level is not None:
        try:
            level = _compression_level(int(compression_level), "--compression-level")
        except ValueError:
            raise ConfigError(f"--compression-level must be an integer from 0 to {MAX_COMPRESSION_LEVEL}, got {compression_level!r}.") from None
    if installer is not None:
        _installer(installer, "--installer")
    return config.with_overrides(
        OPTION_FLAGS,
        python_version=None if python_version is None else normalize_python_version(python_version, "--python"),
        architecture=None if architecture is None else normalize_architecture(architecture, "--arch"),
        exclude_packages=tuple(dict.fromkeys(config.exclude_packages + tuple(exclude))) if exclude else None,
        default_excludes=False if no_default_excludes else None,
        output=output,
        compile_bytecode=False if no_compile else None,
        installer=installer,
        extras=tuple(extras) if extras_given else None,
        all_extras=all_extras if extras_given else None,
        with_groups=tuple(with_groups) if groups_given else None,
        without_groups=tuple(without_groups) if groups_given else None,
        only_groups=tuple(only_groups) if groups_given else None,
        all_groups=all_groups if groups_given else None,
        compression_level=level,
        allow_oversize=True if allow_oversize else None,
        drop_package_tests=True if drop_package_tests else None,
        allow_invalid_python=True if allow_invalid_python else None,
    )
