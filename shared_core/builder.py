"""Step 1: install the project's pinned runtime dependencies for the target Lambda runtime.

Pins come from the project's lock (never the build machine's environment); excluded
distributions are dropped before anything is downloaded; the result is audited against the
target and byte-compiled, then swapped into ``build/lambda/layer/artifacts/python`` in one
rename, so a failed build leaves the previous staging intact.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from .audit import audit_tree
from .bytecode import BytecodeResult, compile_bytecode
from .config import LayerConfig, load_config, read_pyproject
from .exclusion import drop_excluded_names
from .installer import InstallRequest, install_pins
from .layout import LayerBuildToolEnum, LayerPaths
from .pin_sources import PinSource, detect_build_tool, pin_source_for_project
from .pins import Pin, sorted_pins
from .pruning import orphans
from .reporting import PrintReporter, Reporter
from .target import LambdaTarget


@dataclass(frozen=True)
class LayerInstallResult:
    target: LambdaTarget
    origin: str
    pins: Tuple[Pin, ...]
    excluded_before_install: Tuple[str, ...]
    site_packages: Path
    bytecode: Optional[BytecodeResult]


def resolve_target(config: LayerConfig, python_version: Optional[str] = None, architecture: Optional[str] = None) -> LambdaTarget:
    return LambdaTarget.create(python_version or config.python_version, architecture or config.architecture)


def _seconds(started: float) -> str:
    return f"{time.monotonic() - started:.2f} s"


@dataclass
class LambdaLayerBuilder:
    """Install the locked runtime set into ``build/lambda/layer/artifacts/python`` for the target.

    ``python_version``/``architecture``: ``None`` takes ``[tool.lambda-layer]``, else the running
    interpreter's version and ``x86_64``.
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
        paths = LayerPaths.for_pyproject(self.path_pyproject_toml)
        config = self.config or load_config(paths.pyproject)
        reporter = self.reporter or PrintReporter(verbose=self.verbose)
        target = resolve_target(config, self.python_version, self.architecture)
        source = self.pin_source or default_pin_source(paths, self.build_tool, config)

        started = time.monotonic()
        resolution = source.resolve(target)
        all_pins = sorted_pins(resolution.pins)
        kept_names, excluded = drop_excluded_names([pin.name for pin in all_pins], config.excluded_patterns)
        only_for_excluded = orphans(kept_names, excluded, resolution.graph)
        pins = tuple(pin for pin in all_pins if pin.name in kept_names and pin.name not in only_for_excluded)
        dropped = f"; excluded before install: {', '.join(excluded)}" if excluded else ""
        if only_for_excluded:
            dropped += f" (and {', '.join(only_for_excluded)}, needed only by those)"
        reporter.info(f"resolve: {len(pins)} pins from {source.origin} for {target.describe()}{dropped} ({_seconds(started)})")
        for pin in pins:
            reporter.detail(f"  {pin.name}=={pin.version}")

        started = time.monotonic()
        paths.build_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".staging-", dir=paths.build_dir))
        try:
            staged_python = scratch / "artifacts" / "python"
            install_pins(
                InstallRequest(pins, target, staged_python, config.installer, config.allow_sdist, resolution.indexes,
                               paths.project_root),
                scratch,
            )
            audit_tree(staged_python, target)
            reporter.info(f"install: {len(pins)} distributions with {config.installer}, audited for {target.machine} ({_seconds(started)})")
            bytecode = None
            if config.compile_bytecode:
                started = time.monotonic()
                bytecode = compile_bytecode(staged_python, target)
                if bytecode.compiled:
                    reporter.info(
                        f"compile: {bytecode.files} unchecked-hash .pyc for Python {target.python_version}, "
                        f"{bytecode.from_cache} from cache ({_seconds(started)})"
                    )
                else:
                    reporter.warning(f"no bytecode shipped: {bytecode.reason}; cold starts will compile modules.")
            if paths.artifacts_dir.exists():
                shutil.rmtree(paths.artifacts_dir)
            (scratch / "artifacts").rename(paths.artifacts_dir)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        excluded_before_install = tuple(excluded) + tuple(only_for_excluded)
        return LayerInstallResult(target, source.origin, pins, excluded_before_install, paths.artifacts_python, bytecode)


def default_pin_source(paths: LayerPaths, build_tool: Optional[LayerBuildToolEnum], config: LayerConfig) -> PinSource:
    pyproject = read_pyproject(paths.pyproject) if paths.pyproject.is_file() else {}
    tool = LayerBuildToolEnum(build_tool) if build_tool else detect_build_tool(paths.project_root, pyproject)
    return pin_source_for_project(paths.project_root, pyproject, tool, config)
