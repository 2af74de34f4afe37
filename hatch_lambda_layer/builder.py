"""The ``lambda-layer`` Hatch build target: ``[project.dependencies]`` (+ extras) as a Lambda layer zip.

Thin over :func:`shared_core.build_layer`: the builder hands the core the project as Hatchling
parsed it (its ``requires-python`` and dependency metadata, dynamic ones expanded), lists the
sdist's files with Hatchling's own rules, and shows errors through ``self.app.abort``. The
settings (``[tool.lambda-layer]``, then this target's table) are the core's, read as every
entry point reads them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from hatchling.builders.plugin.interface import BuilderInterface

from . import PLUGIN_NAME
from .config import LambdaLayerBuilderConfig
from .reporting import HatchReporter, abort_for_user

if TYPE_CHECKING:  # the core is imported on use: Hatchling imports every `hatch` plugin module
    from shared_core import LayerBuilds, Project


class LambdaLayerHatchBuilder(BuilderInterface):
    """``hatch build -t lambda-layer`` / ``python -m hatchling build -t lambda-layer``."""

    PLUGIN_NAME = PLUGIN_NAME

    @classmethod
    def get_config_class(cls) -> type[LambdaLayerBuilderConfig]:
        return LambdaLayerBuilderConfig

    def get_version_api(self) -> Dict[str, Callable[..., str]]:
        return {"standard": self.build_standard}

    # -- the project, as Hatchling parsed it ---------------------------------------------------

    def project(self) -> Project:
        from shared_core import HATCH, Project, from_specifier

        return Project.from_data(Path(self.root), self.metadata.config, surface=HATCH,
                                 requires_python=from_specifier(self.metadata.core.requires_python or ""))

    # -- building ----------------------------------------------------------------------------

    def build_standard(self, directory: str, **build_data: Any) -> str:
        """Build every target's layer; returns the zip's absolute path (Hatch prints it), or with
        several targets the folder that holds their zips (the summary table lists each)."""
        reporter = HatchReporter(self.app)
        try:
            builds = self.build_layer_zips(reporter, directory=directory)
            builds.raise_failures()
        except Exception as exc:  # LayerError, and disk full, read-only folder, undecodable file
            abort_for_user(self.app, exc, reporter)
            raise  # pragma: no cover - abort exits
        paths = [str(outcome.path) for outcome in builds.outcomes]
        return paths[0] if len(paths) == 1 else os.path.commonpath(paths)

    def build_layer_zips(self, reporter: HatchReporter, *, directory: str = "", force: bool = False,
                         snapshot: bool = False) -> LayerBuilds:
        """Build each target's layer unless it is up to date (also for ``hatch publish -p lambda-layer``).

        ``directory``: Hatch's artifact directory argument, which the layer does not use (said once).
        ``snapshot``: for a publish, a copy of the zip taken under the build lock (the caller removes it).
        """
        from shared_core import HATCH_TARGET_TABLE, LayerBuildToolEnum, build_layers, hatch_pin_source, layer_outputs

        project = self.project()
        config = project.layer_config()
        for key in self.config.misused_file_selection_keys():
            reporter.warning(
                f"Field `{HATCH_TARGET_TABLE}.{key}` is Hatch's file selection and does not "
                "change the layer; list distributions to leave out in `exclude-packages`."
            )
        unused_directory = self._unused_directory(directory or self.config.directory, layer_outputs(project, config))
        if unused_directory:
            reporter.warning(unused_directory)
        core = self.metadata.core
        source = hatch_pin_source(project.root, project.data, config, core.dependencies, core.optional_dependencies)
        extras = getattr(source, "extras", ())
        reporter.waiting(f"Building Lambda layer from {source.origin}" + (f" with extras {', '.join(extras)}" if extras else ""))
        return build_layers(project, config, reporter, build_tool=LayerBuildToolEnum.hatch, pin_source=source,
                            force=force, snapshot=snapshot, sdist_files=self._sdist_files)

    def _unused_directory(self, directory: str, outputs: Sequence[Path]) -> str:
        """Why Hatch's artifact directory (``hatch build -t lambda-layer DIR``, ``directory``) is not used, if set."""
        from shared_core import HATCH_TARGET_TABLE

        where = f"the layer goes to `output` ({', '.join(str(output) for output in outputs)})"
        if "directory" in self.config.target_config:
            return f"Field `{HATCH_TARGET_TABLE}.directory` is not used: {where}; set `output` in the target table instead."
        if os.path.abspath(directory) != os.path.abspath(self.config.directory):
            return f"the directory argument ({directory}) is not used: {where}; set `output` in the target table instead."
        return ""

    def _sdist_files(self) -> Optional[List[str]]:
        """What Hatchling's own sdist target would include: its real rules, in process."""
        from hatchling.builders.sdist import SdistBuilder

        try:
            sdist = SdistBuilder(str(self.root), plugin_manager=self.plugin_manager, metadata=self.metadata, app=self.app)
            return [item.relative_path.replace(os.sep, "/") for item in sdist.recurse_included_files()]
        except Exception:  # a broken sdist configuration is Hatch's to report, when the sdist is built
            return None

    # -- cleaning ----------------------------------------------------------------------------

    def clean(self, directory: str, versions: List[str]) -> None:
        """``hatch clean -t lambda-layer`` / ``--clean``: remove what this builder wrote, nothing else.

        That is ``build/lambda/layer/`` (staging, default zips, records, manifests) and, when ``output``
        points elsewhere, each target's zip, record and manifest there.
        """
        from shared_core import LayerError, clean_layer, layer_outputs

        try:
            project = self.project()
            removed = clean_layer(project.root, layer_outputs(project, project.layer_config()))
        except LayerError as error:
            self.app.abort(str(error))
            return
        for path in removed:
            self.app.display_debug(f"Removed {path}")
