"""Step 2: pack the staged packages into a deterministic ``layer.zip`` under ``python/``.

The staged tree is only read, never changed, so running the zipper twice gives the same zip,
and a user's own virtualenv is never moved or pruned.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ..build_lock import layer_lock
from ..config import LayerConfig, load_config
from ..distributions import InstalledDistribution, scan_distributions
from ..errors import EmptyLayerError
from ..lambda_runtime import EMPTY_ZIP_REFUSAL, LAYER_PREFIX
from ..paths import LayerBuildToolEnum, LayerPaths
from ..pins.pin import Pin
from ..reporting import PrintReporter, Reporter
from .exclusion import ExcludedDistribution, ExclusionPlan, before_install_exclusions, plan_exclusions
from .record import layer_records
from .size_report import SizeReport, check_unzipped_size, human_size, zipped_size_warning
from .slimming import pyc_source, slim_reason
from .tree import StagedFile, walk_tree
from .zip_writer import ZipMember, write_deterministic_zip


@dataclass(frozen=True)
class LayerZipResult:
    """What Step 2 wrote and left out."""

    path: Path
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    excluded: Tuple[ExcludedDistribution, ...]
    excluded_bytes: int
    slimmed: Tuple[Tuple[str, int, int], ...]  # (reason, files, bytes)
    report: SizeReport
    backend: str
    seconds: float


def _owners(distributions: Sequence[InstalledDistribution]) -> Dict[str, str]:
    return {path: dist.name for dist in distributions for path in dist.files}


def _largest(files: Sequence[StagedFile], owners: Dict[str, str], count: int = 10) -> Tuple[Tuple[str, int], ...]:
    sizes: Counter = Counter()
    for staged in files:
        owner = owners.get(staged.relpath) or owners.get(pyc_source(staged.relpath) or "", "(not in any RECORD)")
        sizes[owner] += staged.size
    return tuple(sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:count])


def _announce_exclusions(plan: ExclusionPlan, excluded_bytes: int, user_patterns: Sequence[str], reporter: Reporter) -> None:
    for pattern in plan.unmatched_patterns:
        if pattern in user_patterns:
            reporter.warning(f"exclusion {pattern!r} matched no installed distribution (check the spelling).")
        else:
            reporter.detail(f"  default exclusion {pattern!r}: not installed")
    for dist in plan.excluded:
        reporter.detail(f"  excluded {dist.name} {dist.version} (matches {dist.pattern!r}, {len(dist.files)} files)")
    if plan.excluded:
        names = ", ".join(dist.name for dist in plan.excluded)
        reporter.info(f"Excluded {len(plan.excluded)} distributions ({names}), saving {human_size(excluded_bytes)}")
    if plan.runtime_dependents:
        pairs = ", ".join(sorted({f"{kept} -> {dep}" for kept, dep in plan.runtime_dependents}))
        reporter.info(f"Note: provided by the Lambda runtime, not packed: {pairs}")
    for kept, dependency in plan.broken_requirements:
        reporter.warning(f"{kept} requires {dependency}, which is excluded; {kept} may fail to import on Lambda.")


def pack_layer(
    root: Path,
    distributions: Sequence[InstalledDistribution],
    config: LayerConfig,
    reporter: Reporter,
    output: Path,
    *,
    patterns: Optional[Sequence[str]] = None,
    excluded_before_install: Sequence[Pin] = (),
) -> LayerZipResult:
    """Step 2 over what Step 1 staged: exclude, slim, check the limits, write ``output``.

    ``patterns``: ``None`` uses the configured exclusions; a list is used exactly as given (and
    then its unmatched names are warned about). ``excluded_before_install`` are the pins Step 1 did not install
    (reported in the result's ``excluded`` too). The tree under ``root`` is only read.
    """
    started = time.monotonic()
    user_patterns = config.exclude_packages if patterns is None else tuple(patterns)
    patterns = config.excluded_patterns if patterns is None else tuple(patterns)
    plan = plan_exclusions(distributions, patterns, already_excluded=[pin.name for pin in excluded_before_install])
    excluded_files = plan.excluded_files
    staged = walk_tree(root)

    after_exclusion = [f for f in staged if f.relpath not in excluded_files]
    excluded_bytes = sum(f.size for f in staged if f.relpath in excluded_files)
    kept_paths = {f.relpath for f in after_exclusion}
    kept: List[StagedFile] = []
    slimmed: Dict[str, List[int]] = {}
    for staged_file in after_exclusion:
        reason = slim_reason(staged_file.relpath, staged_file.source, kept_paths)
        if reason is None:
            kept.append(staged_file)
        else:
            counts = slimmed.setdefault(reason, [0, 0])
            counts[0] += 1
            counts[1] += staged_file.size
    _announce_exclusions(plan, excluded_bytes, user_patterns, reporter)
    for reason, (count, size) in sorted(slimmed.items()):
        reporter.detail(f"  slimmed {count} file{'s' if count != 1 else ''} of {reason} ({human_size(size)})")

    if not kept:
        raise EmptyLayerError(
            f"Nothing is left to pack from {root} after exclusions ({len(plan.excluded)} distributions excluded) "
            f'and slimming, so the layer would be empty and Lambda refuses an empty zip ("{EMPTY_ZIP_REFUSAL}"). '
            "Check `exclude-packages` and what Step 1 installed; the previous layer zip is unchanged."
        )
    unzipped_bytes = sum(f.size for f in kept)
    check_unzipped_size(unzipped_bytes, config.allow_oversize)
    with tempfile.TemporaryDirectory(prefix="lambda-layer-records-") as scratch:
        # The staged tree is only read: rewritten RECORDs are packed from a scratch copy.
        rewritten = {}
        for index, record in enumerate(layer_records(kept, distributions)):
            rewritten[record.relpath] = Path(scratch) / f"{index}.RECORD"
            rewritten[record.relpath].write_text(record.text, encoding="utf-8")
        members = [ZipMember(LAYER_PREFIX + f.relpath, rewritten.get(f.relpath, f.source), f.executable) for f in kept]
        written = write_deterministic_zip(
            members, output, compression_level=config.compression_level,
            progress=lambda done, total: reporter.progress("zip", done, total),
        )
    report = SizeReport(
        files=written.files,
        unzipped_bytes=written.unzipped_bytes,
        zipped_bytes=written.zipped_bytes,
        largest=_largest(kept, _owners(distributions)),
    )
    for line in report.lines():
        reporter.info(line)
    warning = zipped_size_warning(report.zipped_bytes)
    if warning:
        reporter.warning(warning)
    return LayerZipResult(
        path=written.path,
        files=written.files,
        unzipped_bytes=written.unzipped_bytes,
        zipped_bytes=written.zipped_bytes,
        excluded=plan.excluded + before_install_exclusions(excluded_before_install, patterns),
        excluded_bytes=excluded_bytes,
        slimmed=tuple((reason, c, b) for reason, (c, b) in sorted(slimmed.items())),
        report=report,
        backend=written.backend,
        seconds=time.monotonic() - started,
    )


@dataclass
class LambdaLayerZipper:
    """Step 2 on its own: pack ``build/lambda/layer/artifacts/python`` (or the tool's build venv).

    ``ignore_package_list``: ``None`` uses the defaults plus ``exclude-packages`` from
    ``[tool.lambda-layer]``; a list is used exactly as given. ``verbose=False`` prints nothing
    but warnings, as the reference tool's seed API does.
    """

    path_pyproject_toml: Path
    build_tool: LayerBuildToolEnum = LayerBuildToolEnum.pip
    ignore_package_list: Optional[List[str]] = None
    verbose: bool = True
    config: Optional[LayerConfig] = None
    reporter: Optional[Reporter] = None

    def run(self) -> LayerZipResult:
        paths = LayerPaths.for_pyproject(self.path_pyproject_toml)
        config = self.config or load_config(paths.pyproject)
        root = paths.staged_site_packages(LayerBuildToolEnum(self.build_tool))
        reporter = self.reporter or PrintReporter(verbose=self.verbose, quiet=not self.verbose)
        output = config.output_path(paths.project_root)
        with layer_lock(paths, output, reporter):
            return pack_layer(
                root, scan_distributions(root), config, reporter, output, patterns=self.ignore_package_list,
            )
