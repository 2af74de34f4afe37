"""The function zip beside the layer: the project's own code, built for the layer's target and checked
against the layers it is deployed with. What ``lambda-layer function``, ``poetry lambda-layer
function`` and ``hatch build -t lambda-function`` run.

The layer is built first (or found up to date): a function is checked against the very zip it will
be deployed with. Then, per target: the code is staged (a packaged project's wheel, built by its own
backend and installed without dependencies; otherwise the files ``include`` names), its bytecode
compiled, its handler imported with the layer behind it, and only then, if nothing overlaps and
everything fits, the zip written, with a manifest and a record like a layer's.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from shared_core.errors import ConfigError, LayerError, user_error
from shared_core.install.inputs import install_inputs
from shared_core.lambda_runtime import LambdaTarget
from shared_core.layout import DEFAULT_FUNCTION_OUTPUT, LayerBuildToolEnum, LayerPaths, zip_output_path
from shared_core.pack.inputs import pack_inputs
from shared_core.pack.layer_contents import LayerContents, read_layer_contents
from shared_core.pack.manifest import (
    MANIFEST_VERSION,
    LayerManifest,
    ManifestDistribution,
    ManifestSource,
    read_manifest,
    target_facts,
    write_manifest,
    zip_facts,
)
from shared_core.pins.local import local_digest
from shared_core.pins.project import ProjectSource, is_packaged
from shared_core.pins.source import PinSource
from shared_core.pipeline.fingerprint import is_up_to_date, recorded_sha256, write_fingerprint
from shared_core.pipeline.layer_build import build_layers, target_outputs
from shared_core.pipeline.lock import layer_lock
from shared_core.pipeline.outcome import LayerBuildOutcome
from shared_core.pipeline.outputs import check_output_ownership, check_output_path, prepare_output
from shared_core.pipeline.project import Project
from shared_core.pipeline.target import choose_targets
from shared_core.settings.function import DEFAULT_INCLUDE, FunctionSettings
from shared_core.settings.layer import LayerConfig
from shared_core.settings.publish import PublishSettings, project_name
from shared_core.support.deflate import compressor_id
from shared_core.support.digests import file_digests, file_sha256
from shared_core.support.reporting import LabelledReporter, Reporter
from shared_core.support.toolchain import find_interpreter, interpreter_release
from shared_core.version import __version__

if TYPE_CHECKING:  # the steps load when a function is built
    from shared_core.install.staging import LayerInstallResult


@dataclass(frozen=True)
class FunctionOutcome:
    """One target's function zip: where, whether it was up to date, its manifest, and where it went up."""

    path: Path
    up_to_date: bool
    layer: LayerBuildOutcome
    manifest: Optional[LayerManifest]
    handler_checked: str = ""  # how the handler was checked, or why it was not
    s3_uri: Optional[str] = None


@dataclass(frozen=True)
class _Code:
    """What goes into the function: the project's wheel, or its ``files``; and their digest."""

    source: Optional[PinSource]
    files: Tuple[str, ...]
    digest: str

    @property
    def origin(self) -> str:
        return self.source.origin if self.source is not None else "the project's files"


def _code(project: Project, settings: FunctionSettings) -> _Code:
    """A packaged project ships its wheel, unless ``include`` lists files; otherwise the files, by default ``*.py``."""
    from shared_core.install.own_files import files_digest, select_files

    if not settings.include and is_packaged(project.data):
        source = ProjectSource(project.root, project.data)
        return _Code(source, (), local_digest(project.root))
    patterns = settings.include or DEFAULT_INCLUDE
    label = settings.label("include") if settings.include else f"the default `include` ({', '.join(DEFAULT_INCLUDE)})"
    files = select_files(project.root, patterns, label)
    return _Code(None, files, files_digest(project.root, files))


def _other_layers(project: Project, settings: FunctionSettings, publish: PublishSettings,
                  scratch: Path) -> List[Tuple[LayerContents, Path, str]]:
    """The other layers ``layers`` names: contents, zip, and what identifies it for the fingerprint."""
    found = []
    for entry in settings.layers:
        if entry.startswith("arn:"):
            from shared_core.publish.function_artifacts import fetch_layer

            contents, path = fetch_layer(entry, publish, scratch)
            found.append((contents, path, entry))  # a layer version never changes: its ARN names its bytes
            continue
        path = (project.root / entry).resolve()
        if not path.is_file():
            raise ConfigError(f"{settings.label('layers')} names {entry}, which is not a file ({path}). Name layer zips "
                              "(relative to the project) or layer version ARNs.")
        found.append((read_layer_contents(path, label=entry), path, file_sha256(path)))
    return found


def function_outputs(project: Project, config: LayerConfig, settings: FunctionSettings) -> Dict[str, Path]:
    """Each target's function zip, by target name; one that is a layer zip, or two targets writing one
    file, is an error naming the setting."""
    choices = choose_targets(config, project.requires_python, table=project.surface.table)
    layers = set(target_outputs(config, project, choices).values())
    outputs: Dict[str, Path] = {}
    for choice in choices:
        name = choice.target.name
        output = zip_output_path(project.root, settings.output, name, len(choices) > 1, DEFAULT_FUNCTION_OUTPUT)
        if output in outputs.values() or output in layers:
            raise ConfigError(f"{settings.label('output')} gives {name}'s function zip the path {output}, which another "
                              "target's zip (or a layer zip) already has. Put {target} in it, or name a folder.")
        outputs[name] = output
    return outputs


def build_functions(
    project: Project,
    config: LayerConfig,
    settings: FunctionSettings,
    reporter: Reporter,
    *,
    build_tool: Optional[LayerBuildToolEnum] = None,
    pin_source: Optional[PinSource] = None,
    force: bool = False,
    upload: Optional[PublishSettings] = None,
    dry_run: bool = False,
) -> Tuple[FunctionOutcome, ...]:
    """Build (or find up to date) each target's layer, then its function zip; ``upload``: also put each
    function zip on S3 with these settings. Failures are raised together, like the layers'."""
    builds = build_layers(project, config, reporter, build_tool=build_tool, pin_source=pin_source, force=force)
    builds.raise_failures()
    code = _code(project, settings)
    outputs = function_outputs(project, config, settings)
    publish = upload or project.publish_settings()
    several = len(builds.outcomes) > 1
    results: List[FunctionOutcome] = []
    failures: List[str] = []
    with tempfile.TemporaryDirectory(prefix="lambda-function-layers-") as scratch:
        others = _other_layers(project, settings, publish, Path(scratch))
        for layer in builds.outcomes:
            name = layer.target.target.name
            target_reporter = LabelledReporter(reporter, name) if several else reporter
            try:
                outcome = _build_function(project, config, settings, target_reporter, layer, outputs[name], code, others,
                                          force=force)
                if upload is not None:
                    from shared_core.publish.function_artifacts import upload_function

                    uri = upload_function(outcome.path, recorded_sha256(outcome.path), upload,
                                          project_name(project.data, project.root), target_reporter, dry_run=dry_run)
                    outcome = replace(outcome, s3_uri=uri)
            except Exception as error:
                user = user_error(error)
                if user is None or not several:
                    raise
                failures.append(f"{name}: {user}")
                continue
            results.append(outcome)
    if failures:
        raise LayerError(f"{len(failures)} of {len(builds.outcomes)} function zips failed to build.\n\n" + "\n\n".join(failures))
    return tuple(results)


def _build_function(project: Project, config: LayerConfig, settings: FunctionSettings, reporter: Reporter,
                    layer: LayerBuildOutcome, output: Path, code: _Code,
                    others: List[Tuple[LayerContents, Path, str]], *, force: bool) -> FunctionOutcome:
    target = layer.target.target
    paths = LayerPaths(project.root, "function")
    interpreter = find_interpreter(target) if config.compile_bytecode or settings.handler else None
    layer_manifest = layer.manifest
    inputs: Dict[str, Any] = {
        "kind": "function", "version": __version__, "target": [target.python_version, target.architecture],
        "code": [code.origin, code.digest, list(code.files)],
        "layers": [layer_manifest.zip.sha256 if layer_manifest else file_sha256(layer.path), *(key for _, _, key in others)],
        "handler": settings.handler, "allow_overlap": settings.allow_overlap,
        **install_inputs(config, interpreter_release(interpreter)), **pack_inputs(config),
    }
    how_to_change = (f"Change {settings.label('output')}." if settings.origin("output") else
                     "Set `output` in [tool.lambda-layer.function] (or pass --function-output) to a writable place.")
    check_output_path(output, how_to_change)
    check_output_ownership(paths, config.requirements, output, how_to_change)
    with layer_lock(paths, output, reporter):
        manifest = read_manifest(output) if not force and is_up_to_date(output, inputs) else None
        if manifest is not None:
            reporter.info(f"Function zip is up to date (inputs unchanged; {project.surface.rebuild}).")
            return FunctionOutcome(output, True, layer, manifest)
        prepare_output(output, how_to_change)
        staged = _stage(paths, config, project, code, target, interpreter, reporter)
        layers = [read_layer_contents(layer.path, label=os.path.relpath(layer.path, project.root)),
                  *(contents for contents, _, _ in others)]
        checked = ""
        if settings.handler:
            from shared_core.pack.handler_check import check_handler

            result = check_handler(settings.handler, staged.root, [layer.path, *(path for _, path, _ in others)], target,
                                   staged.interpreter)
            checked = (f"handler {settings.handler}: imports and is callable with Python {target.python_version} "
                       f"({result.reason})" if result.ran else f"handler {settings.handler}: not checked, {result.reason}")
            reporter.info(checked)
        from shared_core.pack.function_zip import pack_function

        zipped = pack_function(staged, config, output, layers, settings.allow_overlap, reporter)
        digests = file_digests(zipped.path)
        manifest = LayerManifest(
            manifest=MANIFEST_VERSION, kind="function", tool=f"lambda-layer-build {__version__}",
            target=target_facts(target), zip=zip_facts(zipped.path, digests, zipped.unzipped_bytes, zipped.files),
            compression_level=config.compression_level, compressor=compressor_id(zipped.backend),
            bytecode=staged.bytecode is not None and staged.bytecode.compiled,
            source=ManifestSource(".", code.digest),
            distributions=tuple(ManifestDistribution(kept.name, kept.version, kept.files, kept.unzipped_bytes)
                                for kept in zipped.kept),
            excluded=(),
        )
        write_fingerprint(zipped.path, inputs, digests.sha256, write_manifest(zipped.path, manifest))
        return FunctionOutcome(zipped.path, False, layer, manifest, checked)


def _stage(paths: LayerPaths, config: LayerConfig, project: Project, code: _Code, target: LambdaTarget,
           interpreter: Optional[str], reporter: Reporter) -> "LayerInstallResult":
    """The function's code staged for ``target``: the project's wheel (no dependencies), or its files."""
    if code.source is None:
        from shared_core.install.own_files import stage_files

        return stage_files(paths, config, project.root, code.files, target, interpreter, reporter)
    from shared_core.install.staging import stage_dependencies

    # the project itself is the one pin: no exclusion applies to it
    return stage_dependencies(paths, replace(config, default_excludes=False, exclude_packages=()), code.source, target,
                              interpreter, reporter)
