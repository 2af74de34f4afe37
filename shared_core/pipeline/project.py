"""The project a command works on, read once: its folder, its pyproject.toml, its settings.

Every step receives the :class:`Project` instead of a path to rediscover: pyproject.toml is
parsed once per command (by :meth:`Project.load`, or by the build tool that hands its own parsed
copy to :meth:`Project.from_data`), its ``requires-python`` is read once, and its settings come
from the same tables whichever entry point reads them (Hatch's target table included), so one
project gives one layer from every entry point.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from shared_core.errors import ConfigError
from shared_core.layout import LayerPaths
from shared_core.pipeline.requires_python import RequiresPython, of_pyproject
from shared_core.settings.function import FUNCTION_TABLE, HATCH_FUNCTION_TABLE, FunctionSettings
from shared_core.settings.layer import HATCH_GENERIC_KEYS, HATCH_TARGET_TABLE, SHARED_TABLE, LayerConfig
from shared_core.settings.publish import (
    API_TERMS,
    CONSOLE_TERMS,
    HATCH_PUBLISH_TABLE,
    HATCH_TERMS,
    PUBLISH_TABLE,
    OptionTerms,
    PublishSettings,
)
from shared_core.settings.tables import apply_command_line, from_tables
from shared_core.support.user_files import read_user_text, tomllib


@dataclass(frozen=True)
class Surface:
    """An entry point, as its messages name things: its table for unset settings, how to rebuild."""

    name: str
    #: Where an unset setting is named in messages (``Set `output` in [tool.lambda-layer]``).
    table: str
    #: How to force a rebuild, in the surface's own terms.
    rebuild: str
    #: True when settings can also be given as options (``--output``).
    options: bool


CONSOLE = Surface("lambda-layer", SHARED_TABLE, "--force rebuilds", options=True)
POETRY = Surface("poetry lambda-layer", SHARED_TABLE, "--force rebuilds", options=True)
HATCH = Surface("hatch build -t lambda-layer", HATCH_TARGET_TABLE, "`hatch build -t lambda-layer --clean` rebuilds",
                options=False)
#: ``hatch build -t lambda-function``: the layer's settings as Hatch's layer target reads them, the
#: function's from its own target table.
HATCH_FUNCTION = Surface("hatch build -t lambda-function", HATCH_FUNCTION_TABLE,
                         "`hatch build -t lambda-function --clean` rebuilds", options=False)
API = Surface("the Python API", SHARED_TABLE, "force=True rebuilds", options=False)


def read_pyproject(path: Path) -> Dict[str, Any]:
    """Parse pyproject.toml, turning a missing, unreadable or broken file into a ConfigError naming it."""
    if not Path(path).exists():
        raise ConfigError(f"{path} does not exist. Run the command in the project directory or pass its pyproject.toml.")
    text = read_user_text(path, error=ConfigError, fix="Replace it with the project's pyproject.toml, a UTF-8 TOML file.")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file and run again.") from None


def _table(data: Mapping[str, Any], *keys: str) -> Any:
    """``data[keys[0]][keys[1]]...``, or an empty table when a level is missing (a wrong type is kept,
    for the validation to name)."""
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return {}
        value = value.get(key, {})
    return value


@dataclass(frozen=True)
class Project:
    """A project folder and its parsed pyproject.toml (empty for a pip project without one)."""

    root: Path
    data: Mapping[str, Any] = field(repr=False)
    surface: Surface = CONSOLE
    requires_python: Optional[RequiresPython] = None

    @classmethod
    def load(cls, pyproject: Path, surface: Surface = CONSOLE) -> "Project":
        """The project whose pyproject.toml is ``pyproject`` (which may not exist: a pip project).

        The project is the folder the given path is in, resolved; a pyproject.toml that is a
        symlink is read through the link, but never moves the project to the folder it points to.
        """
        path = Path(pyproject)
        root = path.absolute().parent.resolve()
        data = read_pyproject(path) if os.path.lexists(path) else {}  # a directory or a FIFO there is an error
        return cls.from_data(root, data, surface=surface)

    @classmethod
    def from_data(cls, root: Path, data: Mapping[str, Any], *, surface: Surface,
                  requires_python: Optional[RequiresPython] = None) -> "Project":
        """A project whose pyproject.toml a build tool already parsed (Poetry's, Hatchling's metadata),
        with the ``requires-python`` as that tool reads it (None: as this tool reads it)."""
        return cls(Path(root).resolve(), data, surface, requires_python if requires_python is not None else of_pyproject(data))

    @property
    def paths(self) -> LayerPaths:
        return LayerPaths(self.root)

    @property
    def pyproject_path(self) -> Path:
        return self.root / "pyproject.toml"

    @property
    def build_backend(self) -> str:
        backend = _table(self.data, "build-system").get("build-backend", "")
        return backend if isinstance(backend, str) else ""

    def layer_tables(self) -> List[Tuple[Any, str]]:
        """The build settings' tables, later ones winning: ``[tool.lambda-layer]``, then Hatch's target
        table when the project has one (whatever entry point builds it)."""
        tables = [(_table(self.data, "tool", "lambda-layer"), SHARED_TABLE)]
        hatch = _table(self.data, "tool", "hatch", "build", "targets", "lambda-layer")
        if hatch or self.surface in (HATCH, HATCH_FUNCTION):
            tables.append((hatch, HATCH_TARGET_TABLE))
        return tables

    def layer_config(self, options: Optional[Mapping[str, Any]] = None) -> LayerConfig:
        """The build settings: the tables, then the command line's ``options`` (``{attribute: value}``)."""
        config = from_tables(LayerConfig, *self.layer_tables(), ignore={HATCH_TARGET_TABLE: HATCH_GENERIC_KEYS})
        return apply_command_line(config, options or {})

    def function_settings(self, options: Optional[Mapping[str, Any]] = None) -> FunctionSettings:
        """The function's settings: ``[tool.lambda-layer.function]``, then Hatch's ``lambda-function``
        target table when the project has one, then the command line's ``options``."""
        tables = [(_table(self.data, "tool", "lambda-layer", "function"), FUNCTION_TABLE)]
        hatch = _table(self.data, "tool", "hatch", "build", "targets", "lambda-function")
        if hatch or self.surface is HATCH_FUNCTION:
            tables.append((hatch, HATCH_FUNCTION_TABLE))
        # Hatch's own `include` is this target's file list: ours (the target has no other file selection)
        generic = tuple(key for key in HATCH_GENERIC_KEYS if key not in {setting.key for setting in FunctionSettings.settings()})
        settings = from_tables(FunctionSettings, *tables, ignore={HATCH_FUNCTION_TABLE: generic})
        return apply_command_line(settings, options or {})

    def publish_settings(self, options: Optional[Mapping[str, Any]] = None, *,
                         named: Optional[Mapping[str, str]] = None) -> PublishSettings:
        """The publish settings: ``[tool.lambda-layer.publish]``, then ``[tool.hatch.publish.lambda-layer]`` (when
        the project has one, or for Hatch), then the command line's ``options``; ``named``: how the surface spells
        each option."""
        tables = [(_table(self.data, "tool", "lambda-layer", "publish"), PUBLISH_TABLE)]
        hatch = _table(self.data, "tool", "hatch", "publish", "lambda-layer")
        if hatch or self.surface is HATCH:  # whatever entry point publishes (or lists, diffs, prunes) the layer
            tables.append((hatch, HATCH_PUBLISH_TABLE))
        settings = from_tables(PublishSettings, *tables, ignore={HATCH_PUBLISH_TABLE: ("disable",)})
        return replace(apply_command_line(settings, options or {}, named=named), terms=self.publish_terms)

    @property
    def publish_terms(self) -> OptionTerms:
        """How this entry point's messages tell the user to set a publish setting (Hatch: ``-o key=``)."""
        return {HATCH.name: HATCH_TERMS, API.name: API_TERMS}.get(self.surface.name, CONSOLE_TERMS)
