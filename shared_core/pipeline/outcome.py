"""The results of a build of one or more targets, and how a build of several says them: one line
per target as it finishes, one table at the end, the failures together."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple, Union

from shared_core.errors import LayerError, TargetsFailedError
from shared_core.pack.manifest import LayerManifest
from shared_core.pipeline.target import TargetChoice
from shared_core.support.sizes import human_size

if TYPE_CHECKING:  # pragma: no cover - the steps' results, loaded only when a build runs
    from shared_core.install.staging import LayerInstallResult
    from shared_core.pack.layer_zip import LayerZipResult
    from shared_core.publish.snapshot import LayerSnapshot


@dataclass(frozen=True)
class LayerBuildOutcome:
    """One target's build: its zip, whether it was up to date, and what each step did."""

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
    #: The manifest beside the zip (read back when the layer was up to date).
    manifest: Optional[LayerManifest] = None


@dataclass(frozen=True)
class TargetFailure:
    """A target that did not build, and its one paragraph."""

    target: TargetChoice
    output: Path
    error: LayerError


@dataclass(frozen=True)
class LayerBuilds:
    """Every target's outcome, in the order asked for, and the targets that failed."""

    outcomes: Tuple[LayerBuildOutcome, ...]
    failures: Tuple[TargetFailure, ...] = ()

    def raise_failures(self) -> None:
        """One error for every failed target: its paragraph, or theirs together under their names."""
        if not self.failures:
            return
        count = len(self.failures) + len(self.outcomes)
        others = "; the others are built" if self.outcomes else ""
        paragraphs = "\n\n".join(f"{failure.target.target.name}: {failure.error}" for failure in self.failures)
        details = "\n\n".join(failure.error.details for failure in self.failures if failure.error.details)
        raise TargetsFailedError(f"{len(self.failures)} of {count} targets failed to build{others}.\n\n{paragraphs}",
                                 details=details)


_HEADER = ("target", "files", "unzipped", "zipped", "result", "path")


def _status(outcome: LayerBuildOutcome) -> str:
    if outcome.up_to_date:
        return "up to date"
    return "built" if outcome.complete else "built, incomplete"


def _shown_path(path: Path, root: Path) -> str:
    """The zip's path relative to the project when it is inside it, else as it is."""
    try:
        return os.path.relpath(path, root) if root in path.parents else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _sizes(outcome: LayerBuildOutcome) -> Sequence[str]:
    manifest = outcome.manifest
    if manifest is None:
        return ("?", "?", "?")
    return (f"{manifest.zip.files:,}", human_size(manifest.zip.unzipped_bytes), human_size(manifest.zip.bytes))


def finished_line(outcome: LayerBuildOutcome) -> str:
    """``py312-arm64: built, 1,234 files, 45.6 MB unzipped, 12.3 MB zipped``."""
    files, unzipped, zipped = _sizes(outcome)
    return f"{outcome.target.target.name}: {_status(outcome)}, {files} files, {unzipped} unzipped, {zipped} zipped"


def _row(result: Union[LayerBuildOutcome, TargetFailure], root: Path) -> Tuple[str, ...]:
    name = result.target.target.name
    if isinstance(result, TargetFailure):
        return (name, "", "", "", "failed", _shown_path(result.output, root))
    return (name, *_sizes(result), _status(result), _shown_path(result.path, root))


def summary_table(results: Sequence[Union[LayerBuildOutcome, TargetFailure]], root: Path) -> List[str]:
    """Every target in the order asked for: its sizes, whether it was built, and where its zip is."""
    cells = [_HEADER, *(_row(result, root) for result in results)]
    widths = [max(len(row[column]) for row in cells) for column in range(len(_HEADER))]
    right = {1, 2, 3}
    return ["  ".join(cell.rjust(width) if column in right else cell.ljust(width)
                      for column, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in cells]
