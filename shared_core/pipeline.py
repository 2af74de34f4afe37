"""Both steps behind one call, with the "up to date" skip: what every entry point runs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from .builder import LambdaLayerBuilder, LayerInstallResult, default_pin_source, resolve_target
from .config import LayerConfig
from .fingerprint import is_up_to_date, write_fingerprint
from .layout import LayerBuildToolEnum, LayerPaths
from .pin_sources import PinSource
from .reporting import Reporter
from .version import __version__
from .zipper import LambdaLayerZipper, LayerZipResult


@dataclass(frozen=True)
class LayerBuildOutcome:
    path: Path
    up_to_date: bool
    install: Optional[LayerInstallResult] = None
    zip: Optional[LayerZipResult] = None


def _fingerprint_inputs(source: PinSource, config: LayerConfig, tool: str, target: Any) -> Dict[str, Any]:
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


def build_layer(
    path_pyproject_toml: Path,
    config: LayerConfig,
    reporter: Reporter,
    *,
    build_tool: Optional[LayerBuildToolEnum] = None,
    pin_source: Optional[PinSource] = None,
    force: bool = False,
    up_to_date_hint: str = "--force rebuilds",
) -> LayerBuildOutcome:
    """Pin, install, exclude, compile and zip, unless the fingerprint says nothing changed.

    ``up_to_date_hint`` tells the user how to force a rebuild in the adapter's own terms.
    """
    paths = LayerPaths.for_pyproject(path_pyproject_toml)
    target = resolve_target(config)
    source = pin_source or default_pin_source(paths, build_tool, config)
    output = config.output_path(paths.project_root)
    inputs = _fingerprint_inputs(source, config, str(getattr(build_tool, "value", build_tool)), target)
    if not force and is_up_to_date(output, inputs):
        reporter.info(f"Layer is up to date (inputs unchanged; {up_to_date_hint}): {output}")
        return LayerBuildOutcome(output, up_to_date=True)

    installed = LambdaLayerBuilder(path_pyproject_toml, build_tool, config=config, pin_source=source, reporter=reporter).run()
    started = time.monotonic()
    zipped = LambdaLayerZipper(
        path_pyproject_toml,
        build_tool or LayerBuildToolEnum.pip,
        config=config,
        reporter=reporter,
        excluded_before_install=installed.excluded_before_install,
    ).run()
    reporter.info(f"zip: {zipped.files} files at level {config.compression_level} with {zipped.backend} ({time.monotonic() - started:.2f} s)")
    write_fingerprint(zipped.path, inputs)
    return LayerBuildOutcome(zipped.path, up_to_date=False, install=installed, zip=zipped)
