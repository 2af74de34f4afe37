"""Both steps behind one call, with the "up to date" skip: what every entry point runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional

from shared_core.install.inputs import install_inputs
from shared_core.lambda_runtime import LambdaTarget
from shared_core.layout import LayerBuildToolEnum
from shared_core.pack.inputs import pack_inputs
from shared_core.pins.detect import default_pin_source
from shared_core.pins.source import PinSource, ignored_settings
from shared_core.pipeline.fingerprint import (
    fingerprint_path,
    is_up_to_date,
    read_fingerprint,
    recorded_sha256,
    write_fingerprint,
)
from shared_core.pipeline.lock import layer_lock
from shared_core.pipeline.outputs import check_output_ownership, check_output_path, ensure_ignore_file, prepare_output
from shared_core.pipeline.project import Project
from shared_core.pipeline.sdist import SdistFiles, hatchling_sdist_files, sdist_leak_warning
from shared_core.pipeline.target import TargetChoice, announce_target, choose_target
from shared_core.publish.snapshot import LayerSnapshot, take_snapshot
from shared_core.settings.layer import LayerConfig
from shared_core.support.reporting import Reporter
from shared_core.support.toolchain import find_interpreter, interpreter_release
from shared_core.version import __version__

if TYPE_CHECKING:  # the steps themselves load only when a build runs (see _build_steps)
    from shared_core.install.staging import LayerInstallResult
    from shared_core.pack.layer_zip import LayerZipResult


@dataclass(frozen=True)
class LayerBuildOutcome:
    path: Path
    up_to_date: bool
    target: TargetChoice
    install: Optional["LayerInstallResult"] = None
    zip: Optional["LayerZipResult"] = None
    #: False when the layer was written with a stated shortfall (e.g. missing bytecode): not fingerprinted.
    complete: bool = True
    #: With ``build_layer(..., snapshot=True)``: a private copy of the zip taken under the build lock,
    #: for a publish to read instead of the zip (which another build may write once the lock is released).
    snapshot: Optional[LayerSnapshot] = None


def _how_to_change_output(config: LayerConfig, project: Project) -> str:
    origin = config.origin("output")
    if origin is not None:
        return f"Change {origin.label}."
    options = " or pass --output" if project.surface.options else ""
    return f"Set `output` in [{project.surface.table}]{options} to a writable place."


def fingerprint_inputs(source: PinSource, config: LayerConfig, tool: str, target: LambdaTarget,
                       interpreter_version: Optional[str]) -> Dict[str, Any]:
    """Everything that decides the zip's bytes, or whether it may be written at all: each step's own
    (the pins' source, Step 1's, Step 2's), the target, the build tool and our version."""
    return {
        "tool": tool,
        "version": __version__,
        "target": [target.python_version, target.architecture],
        "source": source.fingerprint(),
        **install_inputs(config, interpreter_version),
        **pack_inputs(config),
    }


def _incomplete_message(shortfall: str, staged: "LayerInstallResult", target: LambdaTarget) -> str:
    version = target.python_version
    bytecode = staged.bytecode
    if bytecode is not None and bytecode.compiled and not bytecode.failed and bytecode.invalid:
        fix = (f"Pin releases that are valid Python {version}, or exclude them; until then `allow-invalid-python` "
               "ships them as source, on purpose.")
    else:
        fix = (
            f"Make Python {version} available to the build (on PATH, in pyenv, or `uv python install {version}`)"
            if bytecode is not None and not bytecode.compiled
            else "Fix what stopped those modules from compiling"
        ) + ", or set `compile-bytecode = false` (--no-compile) to build without bytecode on purpose."
    return (
        f"the layer is incomplete ({shortfall}), so it is not recorded as up to date: the next build rebuilds "
        f"it. {fix}"
    )


def _rejected(count: int) -> str:
    """Cache entries that failed verification are rare (a damaged disk, an edited cache): say so."""
    if not count:
        return ""
    entries = "1 cache entry failed verification and was" if count == 1 else f"{count} cache entries failed verification and were"
    return f" ({entries} recompressed)"


def build_layer(
    project: Project,
    config: LayerConfig,
    reporter: Reporter,
    *,
    build_tool: Optional[LayerBuildToolEnum] = None,
    pin_source: Optional[PinSource] = None,
    force: bool = False,
    snapshot: bool = False,
    sdist_files: Optional[SdistFiles] = None,
) -> LayerBuildOutcome:
    """Pin, install, exclude, compile and zip, unless the fingerprint says nothing changed.

    ``project`` and ``config`` are read once by the entry point and handed to each step (the
    configuration knows where each value came from, for messages); ``pin_source``: the entry
    point's own (Poetry's checked lock, Hatch's metadata), else the project's files decide.
    ``snapshot``: also copy the zip while the lock is held (:mod:`snapshot`); the caller removes the copy.
    ``sdist_files``: Hatchling's sdist selection, when the entry point can list it in process (the
    Hatch builder); a hatchling project built from elsewhere is asked through a child interpreter.
    """
    choice = choose_target(config, project.requires_python, table=project.surface.table)
    target = choice.target
    announce_target(choice, reporter)
    source = pin_source or default_pin_source(project.root, project.data, build_tool, config)
    for warning in ignored_settings(config, source):
        reporter.warning(warning)
    output = config.output_path(project.root)
    # found once, for the fingerprint, the compile step and the import check
    interpreter = find_interpreter(target) if config.compile_bytecode or config.drop_package_tests else None
    inputs = fingerprint_inputs(source, config, str(getattr(build_tool, "value", build_tool)), target,
                                interpreter_release(interpreter))
    how_to_change_output = _how_to_change_output(config, project)
    check_output_path(output, how_to_change_output)
    check_output_ownership(project.paths, config.requirements, output, how_to_change_output)
    with layer_lock(project.paths, output, reporter):
        if not force and is_up_to_date(output, inputs):
            reporter.info(f"Layer is up to date (inputs unchanged; {project.surface.rebuild}).")
            return LayerBuildOutcome(output, up_to_date=True, target=choice, snapshot=_snapshot(output, snapshot))

        prepare_output(output, how_to_change_output)
        ensure_ignore_file(project.paths.build_dir)
        # Loaded here, not at the top: an up-to-date build (above) never pays for importing the steps.
        from shared_core.install.staging import stage_dependencies
        from shared_core.pack.layer_zip import pack_layer

        staged = stage_dependencies(project.paths, config, source, target, interpreter, reporter)
        zipped = pack_layer(staged, config, reporter, output)
        reporter.info(f"zip: {zipped.files} files at level {config.compression_level} with {zipped.backend}, "
                      f"{zipped.from_cache} from cache{_rejected(zipped.cache_rejected)} ({zipped.seconds:.2f} s)")
        shortfall = staged.bytecode.shortfall() if staged.bytecode is not None else ""
        if shortfall:
            # A degraded layer is never "up to date": without a fingerprint the next build redoes it.
            fingerprint_path(zipped.path).unlink(missing_ok=True)
            reporter.warning(_incomplete_message(shortfall, staged, target))
        else:
            write_fingerprint(zipped.path, inputs)
        if sdist_files is not None or project.build_backend.startswith("hatchling"):
            leak = sdist_leak_warning(project.root, project.paths.build_dir, zipped.path,
                                      sdist_files or hatchling_sdist_files(project.root))
            if leak:
                reporter.warning(leak)
        return LayerBuildOutcome(zipped.path, up_to_date=False, target=choice, install=staged, zip=zipped,
                                 complete=not shortfall, snapshot=_snapshot(zipped.path, snapshot))


def _snapshot(zip_path: Path, wanted: bool) -> Optional[LayerSnapshot]:
    """The zip's private copy, checked against the sha256 its build recorded (while the lock is held)."""
    return take_snapshot(zip_path, recorded_sha256(zip_path), read_fingerprint(zip_path)) if wanted else None
