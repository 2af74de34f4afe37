"""Both steps behind one call, with the "up to date" skip: what every entry point runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from shared_core.build_lock import layer_lock
from shared_core.config import SHARED_TABLE, LayerConfig
from shared_core.fingerprint import fingerprint_path, is_up_to_date, write_fingerprint
from shared_core.install.bytecode import interpreter_version
from shared_core.install.staging import LayerInstallResult, stage_dependencies
from shared_core.lambda_runtime import LambdaTarget
from shared_core.ownership import check_output_ownership
from shared_core.pack.layer_zip import LayerZipResult, pack_layer
from shared_core.pack.zip_writer import compression_backend, compressor_id, reproducible_date_time
from shared_core.paths import LayerBuildToolEnum, LayerPaths, check_output_path, ensure_ignore_file, prepare_output
from shared_core.pins.detect import default_pin_source
from shared_core.pins.source import PinSource, ignored_settings
from shared_core.reporting import Reporter
from shared_core.requires_python import RequiresPython, of_pyproject_file
from shared_core.snapshot import LayerSnapshot, take_snapshot
from shared_core.target_selection import TargetChoice, announce_target, choose_target
from shared_core.version import __version__


@dataclass(frozen=True)
class LayerBuildOutcome:
    path: Path
    up_to_date: bool
    target: TargetChoice
    install: Optional[LayerInstallResult] = None
    zip: Optional[LayerZipResult] = None
    #: False when the layer was written with a stated shortfall (e.g. missing bytecode): not fingerprinted.
    complete: bool = True
    #: With ``build_layer(..., snapshot=True)``: a private copy of the zip taken under the build lock,
    #: for a publish to read instead of the zip (which another build may write once the lock is released).
    snapshot: Optional[LayerSnapshot] = None


def _how_to_change_output(config: LayerConfig, table: str) -> str:
    origin = config.origin("output")
    if origin is not None:
        return f"Change {origin.label}."
    return f"Set `output` in [{table}]" + (" or pass --output" if table == SHARED_TABLE else "") + " to a writable place."


def _fingerprint_inputs(source: PinSource, config: LayerConfig, tool: str, target: LambdaTarget) -> Dict[str, Any]:
    """Everything that decides the zip's bytes, or whether it may be written at all.

    Byte inputs: the pins' source (lock or requirements content, groups, extras), target,
    installer, exclusions, the zip's timestamp (``SOURCE_DATE_EPOCH``'s effective value), the
    compression level and compressor, whether and with which interpreter (X.Y.Z) bytecode is
    compiled, ``allow-sdist`` (it changes what the installer may build) and our version.
    ``allow-oversize`` and ``allow-invalid-python`` do not change a byte, but they gate writing:
    they are here so that turning one off re-checks instead of calling the layer "up to date".
    """
    return {
        "tool": tool,
        "version": __version__,
        "target": [target.python_version, target.architecture],
        "source": source.fingerprint(),
        "excluded": list(config.excluded_patterns),
        "zip_date_time": list(reproducible_date_time()),
        "compression": [config.compression_level, compressor_id(compression_backend())],
        "compile_bytecode": config.compile_bytecode,
        "bytecode_interpreter": interpreter_version(target) if config.compile_bytecode else None,
        "installer": config.installer,
        "allow_sdist": sorted(config.allow_sdist),
        "allow_oversize": config.allow_oversize,
        "drop_package_tests": config.drop_package_tests,
        "allow_invalid_python": config.allow_invalid_python,
    }


def _incomplete_message(shortfall: str, staged: LayerInstallResult, target: LambdaTarget) -> str:
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
    path_pyproject_toml: Path,
    config: LayerConfig,
    reporter: Reporter,
    *,
    build_tool: Optional[LayerBuildToolEnum] = None,
    pin_source: Optional[PinSource] = None,
    force: bool = False,
    up_to_date_hint: str = "--force rebuilds",
    requires_python: Optional[RequiresPython] = None,
    table: str = SHARED_TABLE,
    snapshot: bool = False,
) -> LayerBuildOutcome:
    """Pin, install, exclude, compile and zip, unless the fingerprint says nothing changed.

    ``config`` is loaded once by the entry point and handed to each step (it knows where each
    value came from, for messages); ``up_to_date_hint`` tells the user how to force a rebuild in
    the adapter's own terms. ``requires_python`` is the project's, as the adapter's build tool
    reads it (None: read from pyproject.toml); ``table`` is where the entry point's settings live.
    ``snapshot``: also copy the zip while the lock is held (:mod:`snapshot`); the caller removes the copy.
    """
    paths = LayerPaths.for_pyproject(path_pyproject_toml)
    requires = requires_python if requires_python is not None else of_pyproject_file(paths.pyproject)
    choice = choose_target(config, requires, table=table)
    target = choice.target
    announce_target(choice, reporter)
    source = pin_source or default_pin_source(paths, build_tool, config)
    for warning in ignored_settings(config, source):
        reporter.warning(warning)
    output = config.output_path(paths.project_root)
    inputs = _fingerprint_inputs(source, config, str(getattr(build_tool, "value", build_tool)), target)
    how_to_change_output = _how_to_change_output(config, table)
    check_output_path(output, how_to_change_output)
    check_output_ownership(paths, config.requirements, output, how_to_change_output)
    with layer_lock(paths, output, reporter):
        if not force and is_up_to_date(output, inputs):
            reporter.info(f"Layer is up to date (inputs unchanged; {up_to_date_hint}).")
            return LayerBuildOutcome(output, up_to_date=True, target=choice,
                                     snapshot=take_snapshot(output) if snapshot else None)

        prepare_output(output, how_to_change_output)
        ensure_ignore_file(paths.build_dir)
        staged = stage_dependencies(paths, config, source, target, reporter)
        zipped = pack_layer(
            staged.root, staged.distributions, config, reporter, output,
            excluded_before_install=staged.excluded_before_install,
            target=staged.target,
            interpreter=staged.bytecode.interpreter if staged.bytecode else None,
            origin=staged.origin,
            requested_extras=staged.requested_extras,
            closure_fix=staged.closure_fix,
        )
        reporter.info(f"zip: {zipped.files} files at level {config.compression_level} with {zipped.backend}, "
                      f"{zipped.from_cache} from cache{_rejected(zipped.cache_rejected)} ({zipped.seconds:.2f} s)")
        shortfall = staged.bytecode.shortfall() if staged.bytecode is not None else ""
        if shortfall:
            # A degraded layer is never "up to date": without a fingerprint the next build redoes it.
            fingerprint_path(zipped.path).unlink(missing_ok=True)
            reporter.warning(_incomplete_message(shortfall, staged, target))
        else:
            write_fingerprint(zipped.path, inputs)
        return LayerBuildOutcome(zipped.path, up_to_date=False, target=choice, install=staged, zip=zipped,
                                 complete=not shortfall, snapshot=take_snapshot(zipped.path) if snapshot else None)
