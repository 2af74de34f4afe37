"""Both steps behind one call, with the "up to date" skip: what every entry point runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from .build_lock import layer_lock
from .config import LayerConfig
from .fingerprint import fingerprint_path, is_up_to_date, write_fingerprint
from .install.staging import LayerInstallResult, resolve_target, stage_dependencies
from .lambda_runtime import LambdaTarget
from .pack.layer_zip import LayerZipResult, pack_layer
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
    #: False when the layer was written with a stated shortfall (e.g. missing bytecode): not fingerprinted.
    complete: bool = True


def _fingerprint_inputs(source: PinSource, config: LayerConfig, tool: str, target: LambdaTarget) -> Dict[str, Any]:
    return {
        "tool": tool,
        "version": __version__,
        "target": [target.python_version, target.architecture],
        "source": source.fingerprint(),
        "excluded": list(config.excluded_patterns),
        "compression_level": config.compression_level,
        "compile_bytecode": config.compile_bytecode,
        "installer": config.installer,
        "allow_sdist": sorted(config.allow_sdist),
    }


def _incomplete_message(shortfall: str, staged: LayerInstallResult, target: LambdaTarget) -> str:
    version = target.python_version
    fix = (
        f"Make Python {version} available to the build (on PATH, in pyenv, or `uv python install {version}`)"
        if staged.bytecode is not None and not staged.bytecode.compiled
        else "Fix what stopped those modules from compiling"
    )
    return (
        f"the layer is incomplete ({shortfall}), so it is not recorded as up to date: the next build rebuilds "
        f"it. {fix}, or set `compile-bytecode = false` (--no-compile) to build without bytecode on purpose."
    )


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
    with layer_lock(paths, output, reporter):
        if not force and is_up_to_date(output, inputs):
            reporter.info(f"Layer is up to date (inputs unchanged; {up_to_date_hint}): {output}")
            return LayerBuildOutcome(output, up_to_date=True)

        staged = stage_dependencies(paths, config, source, target, reporter)
        zipped = pack_layer(
            staged.root, staged.distributions, config, reporter, output,
            excluded_before_install=staged.excluded_before_install,
        )
        reporter.info(f"zip: {zipped.files} files at level {config.compression_level} with {zipped.backend} ({zipped.seconds:.2f} s)")
        shortfall = staged.bytecode.shortfall() if staged.bytecode is not None else ""
        if shortfall:
            # A degraded layer is never "up to date": without a fingerprint the next build redoes it.
            fingerprint_path(zipped.path).unlink(missing_ok=True)
            reporter.warning(_incomplete_message(shortfall, staged, target))
        else:
            write_fingerprint(zipped.path, inputs)
    return LayerBuildOutcome(zipped.path, up_to_date=False, install=staged, zip=zipped, complete=not shortfall)
