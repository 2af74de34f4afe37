"""The ``lambda-layer`` Hatch build target: ``[project.dependencies]`` (+ extras) as a Lambda layer zip.

Thin over :func:`shared_core.build_layer`: the builder reads Hatch's project metadata and the
merged configuration, picks the pin source (``uv.lock`` when the project has one, else the
dependency list resolved for the target with uv), and hands errors to ``self.app.abort``.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

from hatchling.builders.plugin.interface import BuilderInterface

from . import PLUGIN_NAME
from .config import LambdaLayerBuilderConfig, extras_error, unknown_extras
from .reporting import HatchReporter


class LambdaLayerBuilder(BuilderInterface):
    """``hatch build -t lambda-layer`` / ``python -m hatchling build -t lambda-layer``."""

    PLUGIN_NAME = PLUGIN_NAME

    @classmethod
    def get_config_class(cls) -> type[LambdaLayerBuilderConfig]:
        return LambdaLayerBuilderConfig

    def get_version_api(self) -> Dict[str, Callable[..., str]]:
        return {"standard": self.build_standard}

    # -- building ----------------------------------------------------------------------------

    def build_standard(self, directory: str, **build_data: Any) -> str:
        """Build the layer; returns the zip's absolute path (Hatch prints it)."""
        from shared_core.errors import LayerError

        try:
            return str(self.build_layer_zip())
        except LayerError as error:
            self.app.abort(str(error))
            raise  # pragma: no cover - abort exits

    def build_layer_zip(self, force: bool = False) -> Path:
        """Build the layer unless it is up to date; the zip's path (also for ``hatch publish -p lambda-layer``)."""
        from shared_core.builder import resolve_target
        from shared_core.layout import LayerBuildToolEnum
        from shared_core.pipeline import build_layer

        layer = self.config.layer
        reporter = HatchReporter(self.app)
        for key in self.config.misused_file_selection_keys():
            reporter.warning(
                f"Field `tool.hatch.build.targets.{self.PLUGIN_NAME}.{key}` is Hatch's file selection and does not "
                "change the layer; list distributions to leave out in `exclude-packages`."
            )
        extras = self._chosen_extras(layer)
        source = self._pin_source(layer, extras)
        target = resolve_target(layer)
        with_extras = f" with extras {', '.join(extras)}" if extras else ""
        reporter.waiting(f"Building Lambda layer for {target.describe()} from {source.origin}{with_extras}")
        outcome = build_layer(
            self._pyproject, layer, reporter, build_tool=LayerBuildToolEnum.hatch, pin_source=source,
            force=force, up_to_date_hint="`hatch build -t lambda-layer --clean` rebuilds",
        )
        return outcome.path

    @property
    def _pyproject(self) -> Path:
        return Path(self.root).resolve() / "pyproject.toml"

    def _chosen_extras(self, layer: Any) -> Tuple[str, ...]:
        defined = self.metadata.core.optional_dependencies
        if layer.all_extras:
            return tuple(sorted(defined))
        missing = unknown_extras(layer.extras, defined)
        if missing:
            raise extras_error(self.config.table_of("extras"), missing, defined)
        from shared_core.names import normalize_name

        return tuple(dict.fromkeys(normalize_name(extra) for extra in layer.extras))

    def requirements(self, extras: Tuple[str, ...]) -> Tuple[str, ...]:
        """``[project.dependencies]`` plus the extras' requirements, as Hatch's metadata has them
        (dynamic dependencies and self-referencing extras already expanded by Hatchling)."""
        requirements: List[str] = list(self.metadata.core.dependencies)
        optional = self.metadata.core.optional_dependencies
        for extra in extras:
            requirements.extend(optional[extra])
        return tuple(dict.fromkeys(requirements))

    def _pin_source(self, layer: Any, extras: Tuple[str, ...]) -> Any:
        """uv.lock when the project has one; else the dependency list, resolved for the target by uv."""
        from shared_core.pin_sources import DependencyListSource, UvLockSource

        root = Path(self.root).resolve()
        if (root / "uv.lock").is_file():
            return UvLockSource(root, extras, layer.all_extras, layer.with_groups, layer.without_groups, layer.only_groups)
        return DependencyListSource(root, self.requirements(extras))

    # -- cleaning ----------------------------------------------------------------------------

    def clean(self, directory: str, versions: List[str]) -> None:
        """``hatch clean -t lambda-layer`` / ``--clean``: remove what this builder wrote, nothing else.

        That is ``build/lambda/layer/`` (staging, default zip, fingerprint) and, when ``output``
        points elsewhere, that zip and its ``.fingerprint.json``.
        """
        from shared_core.errors import LayerError

        try:
            removed = self._clean()
        except LayerError as error:
            self.app.abort(str(error))
            return
        for path in removed:
            self.app.display_debug(f"Removed {path}")

    def _clean(self) -> List[Path]:
        from shared_core.fingerprint import fingerprint_path
        from shared_core.layout import LayerPaths

        paths = LayerPaths(Path(self.root).resolve())
        output = self.config.layer.output_path(paths.project_root)
        removed: List[Path] = []
        if paths.build_dir.is_dir():
            shutil.rmtree(paths.build_dir)
            removed.append(paths.build_dir)
        if paths.build_dir not in output.parents:
            # `output` elsewhere: that zip (only if it is one) and its fingerprint, nothing beside them
            for path, ours in ((output, zipfile.is_zipfile), (fingerprint_path(output), Path.is_file)):
                if path.is_file() and ours(path):
                    path.unlink()
                    removed.append(path)
        lambda_dir = paths.build_dir.parent  # build/lambda holds only our files: dropped once empty
        if lambda_dir.is_dir() and not any(lambda_dir.iterdir()):
            lambda_dir.rmdir()
            removed.append(lambda_dir)
        return removed
