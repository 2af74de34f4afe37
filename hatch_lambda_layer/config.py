"""``[tool.hatch.build.targets.lambda-layer]``: Hatch's builder config for the target.

The layer's own keys in this table are the core's settings (validated and merged over
``[tool.lambda-layer]`` by :meth:`shared_core.Project.layer_config`, whichever entry point reads
them); Hatch's generic target keys (``dependencies``, ``exclude``, ``directory``, ...) keep Hatch's
meaning and are never read as layer settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from hatchling.builders.config import BuilderConfig

#: Generic keys that select *files* of the project: harmless, but a user who sets one on this
#: target most likely meant to leave distributions out of the layer.
FILE_SELECTION_KEYS: Tuple[str, ...] = (
    "artifacts", "exclude", "force-include", "include", "only-include", "only-packages", "packages", "sources",
)


class LambdaLayerBuilderConfig(BuilderConfig):
    """Hatch's builder config, with the layer's defaults for Hatch's own keys."""

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
