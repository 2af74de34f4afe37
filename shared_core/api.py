"""The Python API: each step on its own, as the reference tool names them, thin over the pipeline.

``LambdaLayerBuilder(...).run()`` is Step 1 (pin and install for the target),
``LambdaLayerZipper(...).run()`` Step 2 (exclude, slim, zip what Step 1 or a virtualenv staged),
``LambdaLayerPublisher(...).run()`` Steps 3-4 (build if needed, then publish). Each reads the
project once and takes its settings from the same tables as every other entry point; an argument
given here wins over them, as a command-line option does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import FrozenSet, List, Mapping, Optional, Sequence

from shared_core.install.staging import LayerInstallResult, stage_dependencies
from shared_core.layout import LayerBuildToolEnum
from shared_core.pack.layer_zip import LayerZipResult, pack_layer
from shared_core.pins.detect import default_pin_source
from shared_core.pins.source import PinSource
from shared_core.pipeline.layer_publish import build_and_publish
from shared_core.pipeline.lock import layer_lock
from shared_core.pipeline.outputs import check_output_ownership
from shared_core.pipeline.project import API, Project
from shared_core.pipeline.target import announce_target, choose_target
from shared_core.publish.layer_version import PublishResult
from shared_core.settings.layer import LayerConfig
from shared_core.settings.publish import PublishSettings
from shared_core.settings.tables import apply_command_line
from shared_core.support.reporting import PrintReporter, Reporter
from shared_core.support.toolchain import find_interpreter

__all__ = ["LambdaLayerBuilder", "LambdaLayerPublisher", "LambdaLayerZipper", "LayerBuildToolEnum"]

#: How the API's arguments are named in messages.
API_ARGUMENTS = {"python_version": "python_version=", "architecture": "architecture="}


def _reporter(reporter: Optional[Reporter], verbose: bool) -> Reporter:
    """``verbose=False`` prints nothing but warnings, as the reference tool's seed API does."""
    return reporter or PrintReporter(verbose=verbose, quiet=not verbose)


@dataclass
class LambdaLayerBuilder:
    """Step 1 on its own: install the locked runtime set into ``build/lambda/layer/artifacts/python``.

    ``python_version``/``architecture``: ``None`` takes ``[tool.lambda-layer]``, else the project's
    ``requires-python`` decides (see :mod:`shared_core.pipeline.target`) and ``x86_64``.
    """

    path_pyproject_toml: Path
    build_tool: Optional[LayerBuildToolEnum] = None
    python_version: Optional[str] = None
    architecture: Optional[str] = None
    verbose: bool = True
    config: Optional[LayerConfig] = None
    pin_source: Optional[PinSource] = None
    reporter: Optional[Reporter] = None

    def run(self) -> LayerInstallResult:
        project = Project.load(Path(self.path_pyproject_toml), surface=API)
        config = apply_command_line(self.config or project.layer_config(),
                                    {"python_version": self.python_version, "architecture": self.architecture},
                                    named=API_ARGUMENTS)
        reporter = _reporter(self.reporter, self.verbose)
        choice = choose_target(config, project.requires_python)
        announce_target(choice, reporter)
        source = self.pin_source or default_pin_source(project.root, project.data, self.build_tool, config)
        interpreter = find_interpreter(choice.target) if config.compile_bytecode else None
        with layer_lock(project.paths, config.output_path(project.root, choice.target.name), reporter):
            return stage_dependencies(project.paths, config, source, choice.target, interpreter, reporter)


@dataclass
class LambdaLayerZipper:
    """Step 2 on its own: pack ``build/lambda/layer/artifacts/python`` (or the tool's build venv).

    ``ignore_package_list``: ``None`` uses the defaults plus ``exclude-packages`` from
    ``[tool.lambda-layer]``; a list is used exactly as given. The target is chosen as every build
    chooses it (the config, then the project's ``requires-python``).
    """

    path_pyproject_toml: Path
    build_tool: LayerBuildToolEnum = LayerBuildToolEnum.pip
    ignore_package_list: Optional[List[str]] = None
    verbose: bool = True
    config: Optional[LayerConfig] = None
    reporter: Optional[Reporter] = None
    #: normalised distribution name -> extras asked of it (their requirements must be in the tree too).
    requested_extras: Mapping[str, FrozenSet[str]] = field(default_factory=dict)

    def run(self) -> LayerZipResult:
        project = Project.load(Path(self.path_pyproject_toml), surface=API)
        config = self.config or project.layer_config()
        if self.ignore_package_list is not None:
            config = replace(config, default_excludes=False, exclude_packages=tuple(self.ignore_package_list))
        target = choose_target(config, project.requires_python).target
        output = config.output_path(project.root, target.name)
        check_output_ownership(project.paths, config.requirements, output, "Change `output` in [tool.lambda-layer].")
        root = project.paths.staged_site_packages(LayerBuildToolEnum(self.build_tool))
        interpreter = find_interpreter(target) if config.drop_package_tests else None
        staged = replace(LayerInstallResult.of_tree(root, target, interpreter), requested_extras=self.requested_extras)
        reporter = _reporter(self.reporter, self.verbose)
        with layer_lock(project.paths, output, reporter):
            return pack_layer(staged, config, reporter, output)


@dataclass
class LambdaLayerPublisher:
    """Steps 3 and 4: build the layer if needed, then upload and publish it.

    ``None`` takes ``[tool.lambda-layer.publish]`` (and ``[tool.lambda-layer]`` for the build);
    the other arguments win over it, as on the command line.
    """

    path_pyproject_toml: Path
    build_tool: Optional[LayerBuildToolEnum] = None
    layer_name: Optional[str] = None
    s3_bucket: Optional[str] = None
    s3_prefix: Optional[str] = None
    region: Optional[str] = None
    profile: Optional[str] = None
    description: Optional[str] = None
    license_info: Optional[str] = None
    share_with: Sequence[str] = ()
    timeout: Optional[float] = None
    dry_run: bool = False
    force: bool = False
    verbose: bool = True
    config: Optional[LayerConfig] = None
    settings: Optional[PublishSettings] = None
    reporter: Optional[Reporter] = None

    def run(self) -> PublishResult:
        """Publish the one target the settings name (``shared_core.build_and_publish`` publishes several)."""
        project = Project.load(Path(self.path_pyproject_toml), surface=API)
        given = {"layer_name": self.layer_name, "s3_bucket": self.s3_bucket, "s3_prefix": self.s3_prefix,
                 "region": self.region, "profile": self.profile, "description": self.description,
                 "license_info": self.license_info, "share_with": tuple(self.share_with), "timeout": self.timeout}
        settings = (apply_command_line(self.settings, given) if self.settings is not None
                    else project.publish_settings(given))
        config = self.config or project.layer_config()
        choose_target(config, project.requires_python)  # several: an error naming them
        [result] = build_and_publish(
            project, config, settings, self.reporter or PrintReporter(verbose=self.verbose),
            build_tool=self.build_tool, force=self.force, dry_run=self.dry_run,
        )
        return result
