"""The ``lambda-layer`` Hatch build target: ``[project.dependencies]`` (+ extras) as a Lambda layer zip.

Thin over :func:`shared_core.build_layer`: the builder reads Hatch's project metadata and the
merged configuration, picks the pin source (``uv.lock`` when the project has one, else the
dependency list resolved for the target with uv), and hands errors to ``self.app.abort``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

from hatchling.builders.plugin.interface import BuilderInterface

from . import PLUGIN_NAME
from .config import LambdaLayerBuilderConfig
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
        from shared_core import user_error

        try:
            return str(self._build())
        except Exception as exc:  # LayerError, and disk full, read-only folder, undecodable file
            error = user_error(exc)
            if error is None:
                raise  # a bug: Hatch shows the traceback
            self.app.abort(str(error))
            raise  # pragma: no cover - abort exits

    def _build(self) -> Path:
        from shared_core import LayerBuildToolEnum, build_layer, resolve_target

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
            up_to_date_hint="`hatch build -t lambda-layer --clean` rebuilds",
        )
        return outcome.path

    @property
    def _pyproject(self) -> Path:
        return Path(self.root).resolve() / "pyproject.toml"

    def _chosen_extras(self, layer: Any) -> Tuple[str, ...]:
        from shared_core import check_extras

        defined = self.metadata.core.optional_dependencies
        if layer.all_extras:
            return tuple(sorted(defined))
        return check_extras(layer.extras, defined, name=f"Field `{self.config.table_of('extras')}.extras`")

    def requirements(self, extras: Tuple[str, ...]) -> Tuple[str, ...]:
        """``[project.dependencies]`` plus the extras' requirements, as Hatch's metadata has them
        (dynamic dependencies and self-referencing extras already expanded by Hatchling)."""
        from shared_core import requirements_with_extras

        core = self.metadata.core
        return requirements_with_extras(core.dependencies, core.optional_dependencies, extras)

    def _pin_source(self, layer: Any, extras: Tuple[str, ...]) -> Any:
        """uv.lock when the project has one; else the dependency list, resolved for the target by uv."""
        from shared_core import DependencyListSource, UvLockSource

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
        from shared_core import LayerError, clean_layer

        root = Path(self.root).resolve()
        try:
            removed = clean_layer(root, self.config.layer.output_path(root))
        except LayerError as error:
            self.app.abort(str(error))
            return
        for path in removed:
            self.app.display_debug(f"Removed {path}")
