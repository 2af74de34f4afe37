"""Step 2: pack the staged packages into a deterministic ``layer.zip`` under ``python/``.

The staged tree is only read, never changed, so running the zipper twice gives the same zip,
and a user's own virtualenv is never moved or pruned.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Collection, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

import shared_core.lambda_runtime as lambda_runtime
from shared_core.errors import EmptyLayerError, PlatformMismatchError
from shared_core.install.distributions import InstalledDistribution
from shared_core.install.staging import LayerInstallResult
from shared_core.lambda_runtime import EMPTY_ZIP_REFUSAL, LAYER_PREFIX, LambdaTarget
from shared_core.pack.closure import incomplete_layer_error, unmet_requirements
from shared_core.pack.compress_ahead import AheadCompressor
from shared_core.pack.exclusion import ExcludedDistribution, ExclusionPlan, before_install_exclusions, plan_exclusions
from shared_core.pack.fit_advice import FitMeasure, advice_lines, advice_sentence, fit_measures, near_limit, required_by
from shared_core.pack.manifest import withdraw_manifest
from shared_core.pack.member_cache import member_cache_root
from shared_core.pack.package_tests import PackageTestsPlan, plan_package_tests
from shared_core.pack.package_tests_check import PackageTestsDrop, finish_drop, start_drop
from shared_core.pack.record import layer_records, listed_row_bytes
from shared_core.pack.report_file import withdraw_report
from shared_core.pack.size_report import SizeReport, check_unzipped_size, zipped_size_warning
from shared_core.pack.slimming import SlimmingContext, pyc_source, slim, sourceless_bytecode_problems
from shared_core.pack.tree import StagedFile, tree_digests, walk_tree
from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
from shared_core.settings.layer import LayerConfig
from shared_core.support.reporting import Reporter
from shared_core.support.sizes import human_size


@dataclass(frozen=True)
class KeptDistribution:
    """A distribution in the layer, and what it takes up there."""

    name: str
    version: str
    files: int
    unzipped_bytes: int


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
    from_cache: int = 0  # members whose compressed bytes came from the member cache
    cache_rejected: int = 0  # cache entries that failed verification and were recompressed
    package_tests: Optional[PackageTestsPlan] = None  # what drop-package-tests left out (None: off)
    #: The distributions in the layer, each with the files and bytes it has there (its .pyc included).
    kept: Tuple[KeptDistribution, ...] = ()
    ahead: int = 0  # members whose stream was computed while Step 1 ran (see compress_ahead)


def _owners(distributions: Sequence[InstalledDistribution]) -> Dict[str, str]:
    return {path: dist.name for dist in distributions for path in dist.files}


_UNOWNED = "(not in any RECORD)"


def _owner(staged: StagedFile, owners: Dict[str, str]) -> str:
    """The distribution a packed file belongs to: its RECORD's, or for our ``.pyc`` its source's."""
    return owners.get(staged.relpath) or owners.get(pyc_source(staged.relpath) or "", _UNOWNED)


def _distribution_sizes(files: Sequence[StagedFile], owners: Dict[str, str]) -> Counter:
    """Bytes per distribution, its compiled ``.pyc`` counted with it."""
    sizes: Counter = Counter()
    for staged in files:
        sizes[_owner(staged, owners)] += staged.size
    return sizes


def distribution_usage(packed: Sequence[StagedFile], kept: Sequence[InstalledDistribution]) -> Tuple[KeptDistribution, ...]:
    """Each kept distribution with its files and bytes in the zip, by normalised name."""
    owners = _owners(kept)
    counts: Counter = Counter(_owner(staged, owners) for staged in packed)
    sizes = _distribution_sizes(packed, owners)
    return tuple(KeptDistribution(dist.name, dist.version, counts[dist.name], sizes[dist.name])
                 for dist in sorted(kept, key=lambda dist: dist.normalized_name))


def _largest(files: Sequence[StagedFile], owners: Dict[str, str], count: int = 10) -> Tuple[Tuple[str, int], ...]:
    sizes = _distribution_sizes(files, owners)
    return tuple(sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:count])


def _fit_measures(
    kept: Sequence[StagedFile], unzipped_bytes: int, limit: int, distributions: Sequence[InstalledDistribution],
    plan: ExclusionPlan, tests: Optional[PackageTestsPlan],
) -> Tuple[FitMeasure, ...]:
    """What each measure would save on the files about to be packed (see fit_advice)."""
    excluded = {dist.name for dist in plan.excluded}
    kept_distributions = [dist for dist in distributions if dist.name not in excluded]
    sizes = _distribution_sizes(kept, _owners(kept_distributions))
    sizes.pop(_UNOWNED, None)
    return fit_measures(
        unzipped_bytes,
        package_tests_bytes=0 if tests is not None else _package_tests_saving(kept, distributions),
        bytecode_bytes=_bytecode_saving(kept, distributions),
        distribution_bytes=tuple(sizes.items()),
        required_by=required_by(kept_distributions),
        limit=limit,
    )


def _bytecode_saving(kept: Sequence[StagedFile], distributions: Sequence[InstalledDistribution]) -> int:
    """What shipping no bytecode would save: our .pyc and their rows in the rewritten RECORDs."""
    pyc = {staged.relpath for staged in kept if staged.relpath.endswith(".pyc")}
    return sum(staged.size for staged in kept if staged.relpath in pyc) + listed_row_bytes(kept, distributions, pyc)


def _package_tests_saving(kept: Sequence[StagedFile], distributions: Sequence[InstalledDistribution]) -> int:
    """What drop-package-tests would save: the suites' files and their rows in the rewritten RECORDs."""
    plan = plan_package_tests(kept)
    return plan.dropped_bytes + listed_row_bytes(kept, distributions, plan.dropped_files)


def _check_closure(
    kept: Sequence[InstalledDistribution], excluded: Collection[str], patterns: Sequence[str], target: LambdaTarget,
    origin: str, requested_extras: Mapping[str, FrozenSet[str]], fix: str,
) -> None:
    """Refuse a layer whose kept distributions require what it lacks (see :mod:`.closure`)."""
    unmet = unmet_requirements(kept, target, excluded=excluded, patterns=patterns, requested_extras=requested_extras)
    if unmet:
        raise incomplete_layer_error(unmet, target, origin, fix)


def _check_sourceless_bytecode(kept: Sequence[StagedFile], context: SlimmingContext, target: LambdaTarget) -> None:
    """A sourceless ``.pyc`` of another Python fails to import on Lambda: refuse it, naming each."""
    problems = sourceless_bytecode_problems(kept, context, target)
    if problems:
        raise PlatformMismatchError(
            f"Sourceless bytecode in the layer is not for Python {target.python_version}, so it cannot be imported on "
            f"{target.runtime_name}: {'; '.join(problems)}. A distribution that ships .pyc without sources must be "
            "installed in its release for the target Python: pin that release, or exclude the distribution "
            "(`exclude-packages`, --exclude). Nothing was written; the previous layer zip is unchanged."
        )


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
    staged: LayerInstallResult, config: LayerConfig, reporter: Reporter, output: Path,
    ahead: Optional[AheadCompressor] = None,
) -> LayerZipResult:
    """Step 2 over what Step 1 staged: exclude, check the closure, slim, check the limits, write ``output``.

    Everything comes from ``staged`` as Step 1 handed it over: the tree (only read), its
    distributions, the pins left out before install and why, the target and its interpreter, the
    pin source's name, requested extras and fix (for the closure check's message). ``ahead``: the
    members compressed while Step 1 ran (the zip's bytes do not depend on it).
    """
    root, distributions, target = staged.root, staged.distributions, staged.target
    plan = plan_exclusions(distributions, config.excluded_patterns, already_excluded=[pin.name for pin, _ in staged.left_out])
    excluded_names = {dist.name for dist in plan.excluded} | {pin.name for pin, _ in staged.left_out}
    kept_distributions = [dist for dist in distributions if dist.name not in excluded_names]
    _check_closure(kept_distributions, excluded_names, config.excluded_patterns, target, staged.origin,
                   staged.requested_extras, staged.closure_fix)
    tree = walk_tree(root)
    after_exclusion = [f for f in tree if f.relpath not in plan.excluded_files]
    excluded_bytes = sum(f.size for f in tree if f.relpath in plan.excluded_files)
    context = SlimmingContext.create((f.relpath for f in after_exclusion), kept_distributions, distributions)
    kept, slimmed = slim(after_exclusion, context)
    _check_sourceless_bytecode(kept, context, target)
    _announce_exclusions(plan, excluded_bytes, config.exclude_packages, reporter)
    for reason, (count, size) in sorted(slimmed.items()):
        reporter.detail(f"  slimmed {count} file{'s' if count != 1 else ''} of {reason} ({human_size(size)})")

    # every file hashed once: the import check's key needs the whole tree, the RECORDs the kept files
    digests = tree_digests(tree if config.drop_package_tests else kept, ahead.digest if ahead is not None else None)
    drop: Optional[PackageTestsDrop] = None
    try:
        if config.drop_package_tests:
            drop = start_drop(root, kept, target, staged.interpreter, reporter, digests,
                              ahead.slots if ahead is not None else None)  # the check's interpreter takes a core
            kept = [file for file in kept if file.relpath not in drop.plan.dropped_files]
        return _write_layer(staged, config, reporter, output, kept, digests, drop, ahead,
                            _Excluded(plan, excluded_bytes, dict(slimmed), kept_distributions))
    finally:
        if drop is not None:
            drop.cancel()


@dataclass(frozen=True)
class _Excluded:
    """What exclusion and slimming decided, for the result."""

    plan: ExclusionPlan
    excluded_bytes: int
    slimmed: Dict[str, List[int]]
    kept_distributions: List[InstalledDistribution]


def _write_layer(
    staged: LayerInstallResult, config: LayerConfig, reporter: Reporter, output: Path, kept: List[StagedFile],
    digests: Dict[str, str], drop: Optional[PackageTestsDrop], ahead: Optional[AheadCompressor], excluded: _Excluded,
) -> LayerZipResult:
    """Rewrite the RECORDs, check the limits and write the zip; the import check (if any) must pass
    before the zip replaces the previous one."""
    root, distributions, target = staged.root, staged.distributions, staged.target
    if not kept:
        raise EmptyLayerError(
            f"Nothing is left to pack from {root} after exclusions ({len(excluded.plan.excluded)} distributions excluded) "
            f'and slimming, so the layer would be empty and Lambda refuses an empty zip ("{EMPTY_ZIP_REFUSAL}"). '
            "Check `exclude-packages` and what Step 1 installed; the previous layer zip is unchanged."
        )
    tests = drop.plan if drop is not None else None
    with tempfile.TemporaryDirectory(prefix="lambda-layer-records-") as scratch:
        started = time.monotonic()
        # The staged tree is only read: rewritten RECORDs are packed from a scratch copy.
        rewritten: Dict[str, Path] = {}
        for index, record in enumerate(layer_records(kept, distributions, digests)):
            rewritten[record.relpath] = Path(scratch) / f"{index}.RECORD"
            rewritten[record.relpath].write_text(record.text, encoding="utf-8")
        packed = [replace(f, source=rewritten[f.relpath], size=rewritten[f.relpath].stat().st_size)
                  if f.relpath in rewritten else f for f in kept]
        unzipped_bytes = sum(f.size for f in packed)
        limit = lambda_runtime.UNZIPPED_LIMIT  # read here, not at import: a test lowers it to reach it with small wheels
        near = near_limit(unzipped_bytes, limit)
        measures = _fit_measures(packed, unzipped_bytes, limit, distributions, excluded.plan, tests) if near else ()
        check_unzipped_size(unzipped_bytes, config.allow_oversize, advice_sentence(measures), limit)
        members = [ZipMember(LAYER_PREFIX + f.relpath, f.source, f.executable) for f in packed]

        def before_replace() -> None:
            if drop is not None:
                finish_drop(drop, target, reporter)  # a broken import stops here: the previous zip stays
            withdraw_manifest(output)  # every check passed: the zip is replaced next, its manifest goes first
            withdraw_report(output)  # and our report of the old bytes (written again after the zip with --report)

        written = write_deterministic_zip(
            members, output, compression_level=config.compression_level,
            progress=lambda done, total: reporter.progress("zip", done, total),
            cache_root=member_cache_root(), ahead=ahead.claim if ahead is not None else None,
            before_replace=before_replace,
        )
        seconds = time.monotonic() - started
    report = SizeReport(
        files=written.files,
        unzipped_bytes=written.unzipped_bytes,
        zipped_bytes=written.zipped_bytes,
        largest=_largest(packed, _owners(distributions)),
        advice=tuple(advice_lines(unzipped_bytes, measures, limit)) if near else (),
    )
    for line in report.lines():
        reporter.info(line)
    warning = zipped_size_warning(report.zipped_bytes)
    if warning:
        reporter.warning(warning)
    if written.ahead:
        reporter.detail(f"  zip: {written.ahead} members were compressed while the layer was installed and checked")
    return LayerZipResult(
        path=written.path,
        files=written.files,
        unzipped_bytes=written.unzipped_bytes,
        zipped_bytes=written.zipped_bytes,
        excluded=excluded.plan.excluded + before_install_exclusions(staged.left_out),
        excluded_bytes=excluded.excluded_bytes,
        slimmed=tuple((reason, c, b) for reason, (c, b) in sorted(excluded.slimmed.items())),
        report=report,
        backend=written.backend,
        seconds=seconds,
        from_cache=written.from_cache,
        cache_rejected=written.cache_rejected,
        package_tests=tests,
        kept=distribution_usage(packed, excluded.kept_distributions),
        ahead=written.ahead,
    )
