"""Step 1: install the project's pinned runtime dependencies for the target Lambda runtime.

Pins come from the project's lock (never the build machine's environment); excluded
distributions are dropped before anything is downloaded; the result is audited against the
target and byte-compiled, then swapped into ``build/lambda/layer/artifacts/python`` in one
rename, so a failed build leaves the previous staging intact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, FrozenSet, Mapping, Optional, Protocol, Tuple

from shared_core.errors import EmptyLayerError, InvalidPythonError
from shared_core.install.audit import audit_tree
from shared_core.install.bytecode import BytecodeResult, compile_bytecode
from shared_core.install.commands import InstallRequest, Progress, install_pins
from shared_core.install.distributions import InstalledDistribution, scan_distributions
from shared_core.lambda_runtime import EMPTY_ZIP_REFUSAL, LambdaTarget
from shared_core.layout import LayerPaths
from shared_core.pins.graph import select_pins
from shared_core.pins.model import Pin, check_hash_rule, sorted_pins
from shared_core.pins.source import PinSource
from shared_core.settings.layer import LayerConfig
from shared_core.support.reporting import Reporter
from shared_core.support.sizes import count_of


@dataclass(frozen=True)
class LayerInstallResult:
    """What Step 1 staged, handed to Step 2 as it is: nothing is rediscovered on disk."""

    target: LambdaTarget
    origin: str
    pins: Tuple[Pin, ...]
    #: Pins left out before install, each with the exclusion pattern that matched it ("" for one
    #: only excluded distributions needed).
    left_out: Tuple[Tuple[Pin, str], ...]
    root: Path
    distributions: Tuple[InstalledDistribution, ...]
    bytecode: Optional[BytecodeResult]
    #: The interpreter of the target's version (compile, import check), or None without one.
    interpreter: Optional[str] = None
    #: ``{normalised name: extras}`` the pin source asks for: their requirements must be in the layer too.
    requested_extras: Mapping[str, FrozenSet[str]] = field(default_factory=dict)
    #: How to complete the pin source when the layer misses a dependency, in its own terms.
    closure_fix: str = ""

    @classmethod
    def of_tree(cls, root: Path, target: LambdaTarget, interpreter: Optional[str]) -> "LayerInstallResult":
        """A tree staged by something else (a virtualenv, an earlier Step 1), packed as it is."""
        return cls(target, "", (), (), root, tuple(scan_distributions(root)), None, interpreter)


class StagingObserver(Protocol):
    """Told when staged files become final, so later work can start on them (the zip's compression:
    :mod:`shared_core.pack.compress_ahead`). Paths are relative to the staged ``python`` folder."""

    def installed(self, root: Path) -> None:
        """Every file under ``root`` is installed and audited; only ``.pyc`` are added after this."""

    def compiling(self, processes: int) -> None:
        """The compiler starts, on up to ``processes`` processes (they share the cores until :meth:`staged`)."""

    def compiled(self, root: Path, relpath: str) -> None:
        """The ``.pyc`` at ``root / relpath`` is written."""

    def staged(self, root: Path) -> None:
        """The tree moved to ``root``, its final place (every file unchanged)."""


def _seconds(started: float) -> str:
    return f"{time.monotonic() - started:.2f} s"


def _report_bytecode(bytecode: BytecodeResult, target: LambdaTarget, started: float, reporter: Reporter) -> None:
    if not bytecode.compiled:
        reporter.warning(f"no bytecode shipped: {bytecode.reason}; cold starts will compile modules.")
        return
    repaired = f", {bytecode.damaged} damaged cache entries recompiled" if bytecode.damaged else ""
    reporter.info(
        f"compile: {bytecode.files} unchecked-hash .pyc for Python {target.python_version}, "
        f"{bytecode.from_cache} from cache{repaired} ({_seconds(started)})"
    )
    if bytecode.cache_error:
        reporter.warning(
            f"the bytecode cache could not be written ({bytecode.cache_error}); {bytecode.fresh} modules were "
            "compiled without it, which costs only speed. Free space there or set LAMBDA_LAYER_CACHE_DIR "
            "to a writable directory."
        )
    if bytecode.failed:
        reporter.warning(f"bytecode incomplete: {bytecode.shortfall()}; cold starts will compile those modules.")


#: How many modules that do not compile a message names before it counts the rest.
INVALID_SHOWN = 5


def _invalid_modules(bytecode: BytecodeResult, root: Path) -> str:
    """``path of dist version (reason)`` for the first few modules that do not compile, then a count."""
    owners = {path: f"{dist.name} {dist.version}" for dist in scan_distributions(root) for path in dist.files}
    shown = "; ".join(
        f"{path}{' of ' + owners[path] if path in owners else ''} ({why})" for path, why in bytecode.invalid[:INVALID_SHOWN]
    )
    more = len(bytecode.invalid) - INVALID_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def _check_invalid_python(
    bytecode: BytecodeResult, root: Path, target: LambdaTarget, allow: bool, reporter: Reporter
) -> None:
    """A module the target's Python cannot compile fails on import there: an error, or with
    ``allow-invalid-python`` a warning (the layer is then incomplete: see the pipeline)."""
    if not bytecode.invalid:
        return
    count = len(bytecode.invalid)
    modules, ship, them = (f"{count} modules do not", "ship", "them") if count > 1 else ("1 module does not", "ships", "it")
    listed = _invalid_modules(bytecode, root)
    if allow:
        reporter.warning(
            f"{modules} compile with Python {target.python_version} and {ship} as source only (allow-invalid-python): "
            f"{listed}; importing {them} on {target.runtime_name} fails."
        )
        return
    raise InvalidPythonError(
        f"{modules} compile with Python {target.python_version}, so importing {them} on {target.runtime_name} fails: "
        f"{listed}. Pin releases that support Python {target.python_version} (or target the runtime they need), or "
        "exclude their distributions (`exclude-packages`, --exclude); to ship them as source anyway, set "
        "`allow-invalid-python = true` (--allow-invalid-python). Nothing was written; the previous layer zip is unchanged."
    )


def stage_dependencies(
    paths: LayerPaths, config: LayerConfig, source: PinSource, target: LambdaTarget, interpreter: Optional[str],
    reporter: Reporter, observer: Optional[StagingObserver] = None,
) -> LayerInstallResult:
    """Resolve, select, install, audit and compile (with ``interpreter``, of the target's version) into
    ``paths.artifacts_python``; ``observer`` hears as files become final."""
    started = time.monotonic()
    resolution = source.resolve(target)
    if not resolution.pins:
        raise EmptyLayerError(
            f"{source.origin} gives no dependencies for {target.describe()}, so the layer would be empty and "
            f'Lambda refuses an empty zip ("{EMPTY_ZIP_REFUSAL}"). Declare the runtime dependencies (and lock '
            "them again), or check the groups, extras and markers chosen; the previous layer zip is unchanged."
        )
    resolved = sorted_pins(resolution.pins)
    selection = select_pins(resolved, config.excluded_patterns, resolution.graph)
    pins = selection.pins
    orphans = f" (and {', '.join(selection.orphans)}, needed only by those)" if selection.orphans else ""
    if not pins:
        raise EmptyLayerError(
            f"Every pin from {source.origin} is excluded: {', '.join(selection.excluded)}{orphans}, so the layer "
            f'would be empty and Lambda refuses an empty zip ("{EMPTY_ZIP_REFUSAL}"). Keep some of them: check '
            "`exclude-packages` (--exclude) and `default-excludes`; the previous layer zip is unchanged."
        )
    check_hash_rule(pins, source.origin)
    dropped = f"; excluded before install: {', '.join(selection.excluded)}{orphans}" if selection.excluded else ""
    named = sum(1 for pin in pins if resolution.named is not None and pin.normalized_name in resolution.named)
    added = "" if resolution.named is None or named == len(pins) else f" ({named} named there, {len(pins) - named} added)"
    reporter.info(f"resolve: {count_of(len(pins), 'pin')} from {source.origin}{added} for {target.describe()}{dropped} "
                  f"({_seconds(started)})")
    for pin in pins:
        reporter.detail(f"  {pin.describe()}")

    def install(staged_python: Path, scratch: Path, progress: Optional[Progress]) -> str:
        install_pins(
            InstallRequest(pins, target, staged_python, config.installer, config.allow_sdist, resolution.indexes,
                           paths.project_root, resolution.settings, resolution.known_indexes),
            scratch,
            progress,
        )
        return f"install: {count_of(len(pins), 'distribution')} with {config.installer}"

    root, bytecode = stage_tree(paths, config, target, interpreter, reporter, install, observer)
    return LayerInstallResult(
        target, source.origin, pins, selection.left_out_pins, root, tuple(scan_distributions(root)), bytecode,
        interpreter, resolution.extras, resolution.fix,
    )


#: ``fill(staged_python, scratch, progress)`` puts the files into ``staged_python``; returns its report line's start.
Fill = Callable[[Path, Path, Optional[Progress]], str]


def stage_tree(paths: LayerPaths, config: LayerConfig, target: LambdaTarget, interpreter: Optional[str],
               reporter: Reporter, fill: Fill, observer: Optional[StagingObserver] = None,
               ) -> Tuple[Path, Optional[BytecodeResult]]:
    """Fill a scratch folder, audit it for ``target``, compile its bytecode, then swap it into
    ``paths.artifacts_python`` in one rename: a failed build leaves the previous staging intact.
    Returns the staged root and the compile step's result; ``observer`` hears as files become final."""
    started = time.monotonic()
    paths.build_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".staging-", dir=paths.build_dir))
    try:
        staged_python = scratch / "artifacts" / "python"
        progress = reporter.progress if reporter.shows_progress() else None
        said = fill(staged_python, scratch, progress)
        audit_tree(staged_python, target)
        reporter.info(f"{said}, audited for {target.machine} ({_seconds(started)})")
        if observer is not None:
            observer.installed(staged_python)
        bytecode = None
        if config.compile_bytecode:
            started = time.monotonic()
            written = (lambda relpath: observer.compiled(staged_python, relpath)) if observer is not None else None
            if observer is not None:
                observer.compiling(os.cpu_count() or 1)  # the compiler's pool: one process per CPU
            bytecode = compile_bytecode(staged_python, target, interpreter, progress, written)
            _report_bytecode(bytecode, target, started, reporter)
            _check_invalid_python(bytecode, staged_python, target, config.allow_invalid_python, reporter)
        if paths.artifacts_dir.exists():
            shutil.rmtree(paths.artifacts_dir)
        (scratch / "artifacts").rename(paths.artifacts_dir)
        if observer is not None:
            observer.staged(paths.artifacts_python)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return paths.artifacts_python, bytecode
