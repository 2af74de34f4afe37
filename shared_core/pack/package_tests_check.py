"""``drop-package-tests`` in Step 2: say what the plan leaves out, and prove it with the import check.

The plan (:mod:`.package_tests`) is decided before anything is written. The import check that proves
it (:mod:`.import_check`) runs beside the zip's writing: :func:`start_drop` starts it, the packer
calls :func:`finish_drop` once the zip is complete and before it replaces the previous one, so a
broken import still leaves the previous zip as it was. A result kept from an earlier build of the
same tree with the same interpreter (:mod:`.import_check_cache`) is used instead of running it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ContextManager, Mapping, Optional, Sequence

from shared_core.errors import PackageTestsError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pack.import_check import RunningImportCheck, host_cannot_run, start_import_check, top_level_modules
from shared_core.pack.import_check_cache import check_key, load_check, store_check
from shared_core.pack.package_tests import PackageTestsPlan, plan_package_tests
from shared_core.pack.tree import StagedFile
from shared_core.support.reporting import Reporter
from shared_core.support.sizes import human_size


@dataclass(frozen=True)
class PackageTestsDrop:
    """The plan, and the import check proving it (None when nothing is dropped)."""

    plan: PackageTestsPlan
    check: Optional[RunningImportCheck] = None
    modules: Sequence[str] = ()
    #: Where a passing result is kept (None: the check cannot run here), and whether it came from there.
    key: Optional[str] = None
    reused: bool = False

    def cancel(self) -> None:
        """Stop the check's interpreter if it still runs (a failed or interrupted build)."""
        if self.check is not None:
            self.check.cancel()


def _report_plan(plan: PackageTestsPlan, reporter: Reporter) -> None:
    count = len(plan.dropped_files)
    reporter.info(
        f"package tests: left out {len(plan.dropped_roots)} test directories ({count:,} files, "
        f"{human_size(plan.dropped_bytes)}); no kept module imports them"
    )
    for root_dir in plan.dropped_roots:
        reporter.detail(f"  left out {root_dir}/")
    for suite in plan.kept:
        reporter.info(f"package tests: kept {suite.root}/, {suite.importer} imports {suite.module}")


def start_drop(
    root: Path, files: Sequence[StagedFile], target: LambdaTarget, interpreter: Optional[str], reporter: Reporter,
    tree_digests: Mapping[str, str], slot: Optional[ContextManager[object]] = None,
) -> PackageTestsDrop:
    """Plan the drop over ``files`` (the layer as it would be packed), report it, and start the import
    check of the tree at ``root`` (``tree_digests``: every file of it by relative path, for the kept
    result's key) where this machine can run it (``slot``: held while its interpreter runs)."""
    plan = plan_package_tests(files)
    _report_plan(plan, reporter)
    if not plan.dropped_roots:
        return PackageTestsDrop(plan)
    modules = top_level_modules(staged.relpath for staged in files if staged.relpath not in plan.dropped_files)
    blocked = [root_dir.replace("/", ".") for root_dir in plan.dropped_roots]
    if interpreter is None or host_cannot_run(target) is not None:
        return PackageTestsDrop(plan, start_import_check(root, modules, blocked, target, interpreter, slot=slot), modules)
    key = check_key(interpreter, modules, blocked, tree_digests)
    kept = load_check(key)
    if kept is not None:
        return PackageTestsDrop(plan, RunningImportCheck.finished(kept), modules, key, reused=True)
    return PackageTestsDrop(plan, start_import_check(root, modules, blocked, target, interpreter, slot=slot), modules, key)


def finish_drop(drop: PackageTestsDrop, target: LambdaTarget, reporter: Reporter) -> None:
    """Wait for the import check; an import that only fails without the tests stops the build."""
    if drop.check is None:
        return
    check = drop.check.result()
    if not check.ran:
        reporter.info(f"import check: skipped, {check.reason}")
        return
    if check.broken:
        failures = "; ".join(f"{module} ({error})" for module, error in check.broken)
        raise PackageTestsError(
            f"With drop-package-tests, these packages fail to import in a clean Python {target.python_version} "
            f"({check.reason}) but import with their test directories in place: {failures}. Something loads a "
            "test directory in a way the static import check cannot see; the layer was not written. Set "
            "`drop-package-tests = false` in [tool.lambda-layer] (or leave out --drop-package-tests) to keep the tests."
        )
    if drop.key is not None and not drop.reused:
        store_check(drop.key, check)
    failing = len(check.failing_anyway)
    anyway = f"; {failing} fail{'s' if failing == 1 else ''} with the tests too" if failing else ""
    took = "reused: the same files and interpreter passed before" if drop.reused else f"{drop.check.seconds:.2f} s"
    reporter.info(
        f"import check: {len(drop.modules) - failing} of {len(drop.modules)} top-level packages import "
        f"without the tests in {check.reason}{anyway} ({took})"
    )
    for module, error in check.failing_anyway:
        reporter.detail(f"  {module} fails with its tests too, so not because of them: {error}")
