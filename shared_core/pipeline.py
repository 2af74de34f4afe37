"""Both steps behind one call, with the "up to date" skip: what every entry point runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from .config import LayerConfig
from .fingerprint import is_up_to_date, write_fingerprint
from .install.bytecode import interpreter_version
from .install.staging import LayerInstallResult, resolve_target, stage_dependencies
from .lambda_runtime import LambdaTarget
from .pack.layer_zip import LayerZipResult, pack_layer
from .pack.zip_writer import compressor_identity, reproducible_date_time
from .paths import LayerBuildToolEnum, LayerPaths
from .pins.detect import default_pin_source
from .pins.extras import EXTRAS_KEY
from .pins.source import PinSource
from .reporting import Reporter
from .version import __version__


@dataclass(frozen=True)
class LayerBuildOutcome:
    path: Path
    up_to_date: bool
    install: Optional[LayerInstallResult] = None
    zip: Optional[LayerZipResult] = None


def _fingerprint_inputs(source: PinSource, config: LayerConfig, tool: str, target: LambdaTarget) -> Dict[str, Any]:
    """Everything that decides the zip's bytes, or whether it may be written at all.

    Byte inputs: the pins' source (lock or requirements content, groups, extras), target,
    installer, exclusions, the zip's timestamp (``SOURCE_DATE_EPOCH``'s effective value), the
    compression level and compressor, whether and with which interpreter (X.Y.Z) bytecode is
    compiled, ``allow-sdist`` (it changes what the installer may build) and our version.
    ``allow-oversize`` does not change a byte, but it gates writing: it is here so that turning
    it off re-checks the limit instead of calling an oversize layer "up to date".
    """
    return {
        "tool": tool,
        "version": __version__,
        "target": [target.python_version, target.architecture],
        "source": source.fingerprint(),
        "excluded": list(config.excluded_patterns),
        "zip_date_time": list(reproducible_date_time()),
        "compression": [config.compression_level, compressor_identity()],
        "compile_bytecode": config.compile_bytecode,
        "bytecode_interpreter": interpreter_version(target) if config.compile_bytecode else None,
        "installer": config.installer,
        "allow_sdist": sorted(config.allow_sdist),
        "allow_oversize": config.allow_oversize,
    }


def build_layer(
    path_pyproject_toml: Path,
    config: LayerConfig,
    reporter: Reporter,
    *,
    build_tool: Optional[LayerBuildToolEnum] = None,
    pin_source: Optional[PinSource] = None,
    force: bool = False,
    up_to_date_hint: str = "--force rebuilds",
    extras_name: str = EXTRAS_KEY,
) -> LayerBuildOutcome:
    """Pin, install, exclude, compile and zip, unless the fingerprint says nothing changed.

    ``config`` is loaded once by the entry point and handed to each step; ``up_to_date_hint``
    tells the user how to force a rebuild in the adapter's own terms, ``extras_name`` where
    ``config.extras`` came from (``--extras`` or the table key).
    """
    paths = LayerPaths.for_pyproject(path_pyproject_toml)
    target = resolve_target(config)
    source = pin_source or default_pin_source(paths, build_tool, config, extras_name=extras_name)
    output = config.output_path(paths.project_root)
    inputs = _fingerprint_inputs(source, config, str(getattr(build_tool, "value", build_tool)), target)
    if not force and is_up_to_date(output, inputs):
        reporter.info(f"Layer is up to date (inputs unchanged; {up_to_date_hint}): {output}")
        return LayerBuildOutcome(output, up_to_date=True)

    staged = stage_dependencies(paths, config, source, target, reporter)
    zipped = pack_layer(
        staged.root, staged.distributions, config, reporter, output,
        excluded_before_install=staged.excluded_before_install,
    )
    reporter.info(f"zip: {zipped.files} files at level {config.compression_level} with {zipped.backend} ({zipped.seconds:.2f} s)")
    write_fingerprint(zipped.path, inputs)
    return LayerBuildOutcome(zipped.path, up_to_date=False, install=staged, zip=zipped)
