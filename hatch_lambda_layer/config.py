"""``[tool.hatch.build.targets.lambda-layer]``: the shared ``[tool.lambda-layer]`` keys, validated.

The target table takes the same keys as ``[tool.lambda-layer]`` and wins over it key by key
(so a target ``exclude-packages`` *replaces* the shared one; both add to the default exclusions
unless ``default-excludes = false``). Hatch's own generic target keys (``dependencies``,
``exclude``, ``directory``, ...) keep Hatch's meaning and are never read as layer settings.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Mapping, Tuple

from hatchling.builders.config import BuilderConfig

if TYPE_CHECKING:  # the core is imported on use: Hatchling imports every `hatch` plugin module
    from shared_core import LayerConfig

#: Keys Hatch reads from every ``[tool.hatch.build.targets.<name>]`` table (hatchling's
#: BuilderConfig and hatch's BuildTargetConfig). They are Hatch's, so the layer ignores them.
HATCH_GENERIC_KEYS: Tuple[str, ...] = (
    "artifacts",
    "dependencies",
    "dev-mode-dirs",
    "dev-mode-exact",
    "directory",
    "exclude",
    "force-include",
    "hooks",
    "ignore-vcs",
    "include",
    "only-include",
    "only-packages",
    "packages",
    "reproducible",
    "require-runtime-dependencies",
    "require-runtime-features",
    "skip-excluded-dirs",
    "sources",
    "versions",
)

#: Generic keys that select *files* of the project: harmless, but a user who sets one on this
#: target most likely meant to leave distributions out of the layer.
FILE_SELECTION_KEYS: Tuple[str, ...] = (
    "artifacts", "exclude", "force-include", "include", "only-include", "only-packages", "packages", "sources",
)


class LambdaLayerBuilderConfig(BuilderConfig):
    """Hatch's builder config plus :attr:`layer`, the validated, merged :class:`LayerConfig`."""

    @property
    def shared_table(self) -> Mapping[str, Any]:
        tool = self.builder.metadata.config.get("tool", {})
        return tool.get("lambda-layer", {}) if isinstance(tool, Mapping) else {}

    @cached_property
    def layer(self) -> LayerConfig:
        """Raises :class:`ConfigError` ("Field `<table>.<key>` must be ...") for any bad key."""
        from shared_core import HATCH_TARGET_TABLE, SHARED_TABLE, config_from_tables

        # Hatch's generic keys are Hatch's in the target table only; in the shared table they are unknown.
        return config_from_tables(
            (self.shared_table, SHARED_TABLE), (self.target_config, HATCH_TARGET_TABLE),
            ignore={HATCH_TARGET_TABLE: HATCH_GENERIC_KEYS},
        )

    def table_of(self, key: str) -> str:
        """The dotted table a layer key's effective value came from (for error messages)."""
        from shared_core import HATCH_TARGET_TABLE, SHARED_TABLE

        return HATCH_TARGET_TABLE if key in self.target_config else SHARED_TABLE

    def misused_file_selection_keys(self) -> List[str]:
        return [key for key in FILE_SELECTION_KEYS if key in self.target_config]

    @property
    def directory(self) -> str:
        """Hatch's artifact directory for this target: the layer's build directory by default.

        The layer itself goes to ``output`` (default ``build/lambda/layer/layer.zip``); this only
        keeps Hatchling from creating an empty ``dist/`` for a target that writes nothing there.
        An explicit ``directory`` in the target or ``[tool.hatch.build]`` table still wins.
        """
        if "directory" in self.target_config or "directory" in self.build_config:
            return super().directory
        from shared_core import LayerPaths

        return str(LayerPaths(Path(self.root)).build_dir)
