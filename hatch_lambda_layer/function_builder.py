"""The ``lambda-function`` Hatch build target: the project's own code as a Lambda function zip.

Thin over :func:`shared_core.build_functions`, like :mod:`.builder` over the layer: it builds the
layer (``[tool.lambda-layer]`` and the ``lambda-layer`` target table, skipped when up to date), then
``function.zip`` with the settings of ``[tool.lambda-layer.function]`` and this target's table
(``[tool.hatch.build.targets.lambda-function]``; its ``include`` is the function's file list).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List

from .builder import LambdaLayerHatchBuilder
from .reporting import HatchReporter, abort_for_user

if TYPE_CHECKING:  # the core is imported on use: Hatchling imports every `hatch` plugin module
    from shared_core import Project

FUNCTION_PLUGIN_NAME = "lambda-function"


class LambdaFunctionHatchBuilder(LambdaLayerHatchBuilder):
    """``hatch build -t lambda-function``."""

    PLUGIN_NAME = FUNCTION_PLUGIN_NAME

    def get_version_api(self) -> Dict[str, Callable[..., str]]:
        return {"standard": self.build_standard}

    def project(self) -> Project:
        from shared_core import HATCH_FUNCTION, Project, from_specifier

        return Project.from_data(Path(self.root), self.metadata.config, surface=HATCH_FUNCTION,
                                 requires_python=from_specifier(self.metadata.core.requires_python or ""))

    def build_standard(self, directory: str, **build_data: Any) -> str:
        """Build the layer if needed, then each target's function zip; returns the zip's path (Hatch prints
        it), or with several targets the folder that holds them."""
        from shared_core import LayerBuildToolEnum, build_functions, hatch_pin_source

        reporter = HatchReporter(self.app)
        try:
            project = self.project()
            config = project.layer_config()
            core = self.metadata.core
            source = hatch_pin_source(project.root, project.data, config, core.dependencies, core.optional_dependencies)
            outcomes = build_functions(project, config, project.function_settings(), reporter,
                                       build_tool=LayerBuildToolEnum.hatch, pin_source=source)
        except Exception as exc:  # LayerError, and disk full, read-only folder, undecodable file
            abort_for_user(self.app, exc, reporter)
            raise  # pragma: no cover - abort exits
        paths = [str(outcome.path) for outcome in outcomes]
        return paths[0] if len(paths) == 1 else os.path.commonpath(paths)

    def clean(self, directory: str, versions: List[str]) -> None:
        """``hatch clean -t lambda-function``: remove what this builder wrote (``build/lambda/function/``
        and each target's zip, record and manifest elsewhere), nothing else."""
        from shared_core import LayerError, clean_layer, function_outputs

        try:
            project = self.project()
            outputs = function_outputs(project, project.layer_config(), project.function_settings())
            removed = clean_layer(project.root, list(outputs.values()), artifact="function")
        except LayerError as error:
            self.app.abort(str(error))
            return
        for path in removed:
            self.app.display_debug(f"Removed {path}")
