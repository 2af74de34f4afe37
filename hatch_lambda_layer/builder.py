"""The ``lambda-layer`` Hatch build target: ``[project.dependencies]`` (+ extras) as a Lambda layer zip.

Thin over :func:`shared_core.build_layer`: the builder reads Hatch's project metadata and the
merged configuration, picks the pin source (``uv.lock`` when the project has one, else the
dependency list resolved for the target with uv), and hands errors to ``self.app.abort``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Tuple

from hatchling.builders.plugin.interface import BuilderInterface

from . import PLUGIN_NAME
from .config import LambdaLayerBuilderConfig
from .reporting import HatchReporter, abort_for_user

if TYPE_CHECKING:  # the core is imported on use: Hatchling imports every `hatch` plugin module
    from shared_core import LayerBuildOutcome


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
        reporter = HatchReporter(self.app)
        try:
            return str(self.build_layer_zip(reporter, directory=directory).path)
        except Exception as exc:  # LayerError, and disk full, read-only folder, undecodable file
            reporter.end_progress()
            abort_for_user(self.app, exc)
            raise  # pragma: no cover - abort exits

    def build_layer_zip(self, reporter: HatchReporter, *, directory: str = "", force: bool = False,
                        snapshot: bool = False) -> LayerBuildOutcome:
        """Build the layer unless it is up to date (also for ``hatch publish -p lambda-layer``).

        ``directory``: Hatch's artifact directory argument, which the layer does not use (said once).
        ``snapshot``: for a publish, a copy of the zip taken under the build lock (the caller removes it).
        """
        from shared_core import HATCH_TARGET_TABLE, LayerBuildToolEnum, build_layer, from_specifier

        layer = self.config.layer
        for key in self.config.misused_file_selection_keys():
            reporter.warning(
                f"Field `{HATCH_TARGET_TABLE}.{key}` is Hatch's file selection and does not "
                "change the layer; list distributions to leave out in `exclude-packages`."
            )
        unused_directory = self._unused_directory(directory or self.config.directory)
        if unused_directory:
            reporter.warning(unused_directory)
        extras = self._chosen_extras(layer)
        source = self._pin_source(layer, extras)
        with_extras = f" with extras {', '.join(extras)}" if extras else ""
        reporter.waiting(f"Building Lambda layer from {source.origin}{with_extras}")
        outcome = build_layer(
            self._pyproject, layer, reporter, build_tool=LayerBuildToolEnum.hatch, pin_source=source,
            force=force, up_to_date_hint="`hatch build -t lambda-layer --clean` rebuilds",
            requires_python=from_specifier(self.metadata.core.requires_python or ""),
            table=HATCH_TARGET_TABLE, snapshot=snapshot,
        )
        try:
            self._warn_about_sdist(outcome.path, reporter)
        except BaseException:
            if outcome.snapshot is not None:
                outcome.snapshot.remove()
            raise
        return outcome

    def _warn_about_sdist(self, zip_path: Path, reporter: HatchReporter) -> None:
        leaked = self._sdist_files_under(zip_path)
        if leaked:
            root = Path(self.root).resolve()
            zip_name = zip_path.relative_to(root).as_posix() if zip_path.is_relative_to(root) else ""
            example = zip_name if zip_name in leaked else leaked[0]
            reporter.warning(
                f"`hatch build` would put {len(leaked)} file(s) of the layer build into the sdist (e.g. {example}): "
                "Hatchling reads only the project's top-level .gitignore, not the one this builder writes into "
                "build/lambda/layer/. Add `/build/` to .gitignore, or `exclude = [\"/build\"]` to "
                "[tool.hatch.build.targets.sdist]."
            )

    def _unused_directory(self, directory: str) -> str:
        """Why Hatch's artifact directory (``hatch build -t lambda-layer DIR``, ``directory``) is not used, if set."""
        from shared_core import HATCH_TARGET_TABLE

        where = f"the layer goes to `output` ({self.config.layer.output_path(Path(self.root).resolve())})"
        if "directory" in self.config.target_config:
            return f"Field `{HATCH_TARGET_TABLE}.directory` is not used: {where}; set `output` in the target table instead."
        if os.path.abspath(directory) != os.path.abspath(self.config.directory):
            return f"the directory argument ({directory}) is not used: {where}; set `output` in the target table instead."
        return ""

    def _sdist_files_under(self, zip_path: Path) -> List[str]:
        """Files of ours (the build directory, the zip, its fingerprint) that Hatchling's own sdist
        file selection would pick up: its real rules, not a guess."""
        from hatchling.builders.sdist import SdistBuilder

        from shared_core import LayerPaths, fingerprint_path

        root = Path(self.root).resolve()
        build_dir = LayerPaths(root).build_dir.relative_to(root).as_posix() + "/"
        files = {path.relative_to(root).as_posix() for path in (zip_path, fingerprint_path(zip_path)) if root in path.parents}
        try:
            sdist = SdistBuilder(str(root), plugin_manager=self.plugin_manager, metadata=self.metadata, app=self.app)
            included = [item.relative_path.replace(os.sep, "/") for item in sdist.recurse_included_files()]
        except Exception:  # a broken sdist configuration is Hatch's to report, when the sdist is built
            return []
        return [path for path in included if path.startswith(build_dir) or path in files]

    @property
    def _pyproject(self) -> Path:
        return Path(self.root).resolve() / "pyproject.toml"

    def _chosen_extras(self, layer: Any) -> Tuple[str, ...]:
        from shared_core import chosen_extras

        return chosen_extras(layer.extras, layer.all_extras, self.metadata.core.optional_dependencies,
                             name=f"Field `{self.config.table_of('extras')}.extras`")

    def requirements(self, extras: Tuple[str, ...]) -> Tuple[str, ...]:
        """``[project.dependencies]`` plus the extras' requirements, as Hatch's metadata has them
        (dynamic dependencies and self-referencing extras already expanded by Hatchling)."""
        from shared_core import requirements_with_extras

        core = self.metadata.core
        return requirements_with_extras(core.dependencies, core.optional_dependencies, extras)

    def _pin_source(self, layer: Any, extras: Tuple[str, ...]) -> Any:
        """uv.lock when the project has one; else the dependency list, resolved for the target by uv."""
        from shared_core import DependencyListSource, UvLockSource, uv_lock_root

        root = Path(self.root).resolve()
        if (uv_lock_root(root) / "uv.lock").is_file():
            return UvLockSource(
                root, extras, layer.all_extras, layer.with_groups, layer.without_groups, layer.only_groups, layer.all_groups
            )
        return DependencyListSource(root, self.requirements(extras), extras, layer.allow_sdist, self.metadata.config)

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
