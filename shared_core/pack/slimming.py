"""Drop what is provably dead weight on Lambda, and nothing that code might need.

Decided by what the distributions' RECORDs say they own, never by a path alone:

- scripts the installer generated in ``bin/`` (console and gui entry points, ``*.data/scripts``):
  their shebang names the build machine's Python. A *package* called ``bin`` (its
  ``bin/__init__.py`` in a RECORD) is code and stays;
- installer leftovers: uv's ``.lock``, ``uv_cache.json``, ``uv_build.json``;
- bytecode that is neither ours nor shipped to be imported: a ``__pycache__`` ``.pyc`` that is
  not our unchecked-hash one (the build machine's timestamp ``.pyc`` would be stale under a fixed
  zip timestamp and is for the wrong Python anyway) or whose source is gone, a legacy ``mod.pyc``
  beside its ``mod.py``, and ``.pyo``. A legacy ``mod.pyc`` *without* ``mod.py`` that a kept
  distribution's RECORD lists stays: that is how sourceless distributions ship, and Python
  imports it as it is. It must then be bytecode of the target's Python (its magic number),
  or the import fails on Lambda: :func:`sourceless_bytecode_problems` says which do not.

Every ``.dist-info`` and every ``.so`` stays.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet, Dict, Iterable, List, Sequence, Tuple

from shared_core.install.distributions import InstalledDistribution
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pack.tree import StagedFile

#: What uv leaves in a dist-info about its own cache and builds: machine state, not metadata.
INSTALLER_LEFTOVERS = (".dist-info/uv_cache.json", ".dist-info/uv_build.json")

#: PEP 552 flags word (bytes 4-8 of a .pyc): 0b01 = hash-based, unchecked.
_UNCHECKED_HASH_FLAGS = 0b01


def _header(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def is_unchecked_hash_pyc(path: Path) -> bool:
    """True for a PEP 552 unchecked-hash ``.pyc``: valid forever, whatever the file timestamps."""
    header = _header(path, 8)
    return len(header) == 8 and int.from_bytes(header[4:8], "little") == _UNCHECKED_HASH_FLAGS


def pyc_source(relpath: str) -> str | None:
    """``pkg/__pycache__/mod.cpython-312.pyc`` -> ``pkg/mod.py``; None for a legacy ``.pyc`` beside its source."""
    directory, name = posixpath.split(relpath)
    if posixpath.basename(directory) != "__pycache__":
        return None
    module = name.split(".", 1)[0]
    return posixpath.join(posixpath.dirname(directory), module + ".py")


@dataclass(frozen=True)
class SlimmingContext:
    """What the decisions depend on beyond the file itself (sets, for lookups per file)."""

    #: The files left after exclusion, scripts aside: what a ``.pyc`` may be compiled from.
    sources: AbstractSet[str]
    #: Every file a kept distribution's RECORD lists.
    owned: AbstractSet[str]
    #: The ``bin/`` scripts installers generated, for any distribution of the tree.
    scripts: AbstractSet[str]

    @classmethod
    def create(
        cls, paths: Iterable[str], kept: Sequence[InstalledDistribution], everything: Sequence[InstalledDistribution]
    ) -> "SlimmingContext":
        """``paths``: the files left after exclusion; ``kept``: the distributions left; ``everything``: all of them."""
        scripts = frozenset().union(*(dist.scripts for dist in everything))
        package_files = frozenset().union(*(dist.files for dist in kept if "bin/__init__.py" in dist.files))
        scripts = scripts - package_files  # a module of a package called bin is never a script
        return cls(
            sources=frozenset(paths) - scripts,
            owned=frozenset().union(*(dist.files for dist in kept)),
            scripts=scripts,
        )

    def is_sourceless(self, relpath: str) -> bool:
        """A legacy ``mod.pyc`` without ``mod.py`` that a kept distribution ships: imported as it is."""
        return (relpath.endswith(".pyc") and pyc_source(relpath) is None and relpath[:-1] not in self.sources
                and relpath in self.owned)


def slim_reason(relpath: str, source: Path, context: SlimmingContext) -> str | None:
    """Why ``relpath`` is dropped (a short label for the report), or None to keep it."""
    if relpath in context.scripts:
        return "console scripts"
    if relpath == ".lock" or relpath.endswith(INSTALLER_LEFTOVERS):
        return "installer leftovers"
    if relpath.endswith((".pyc", ".pyo")):
        if context.is_sourceless(relpath):
            return None
        origin = pyc_source(relpath)
        if origin is None or origin not in context.sources or not is_unchecked_hash_pyc(source):
            return "stale bytecode"
    if "/__pycache__/" in f"/{relpath}" and not relpath.endswith(".pyc"):
        return "stale bytecode"
    return None


def slim(files: Sequence[StagedFile], context: SlimmingContext) -> Tuple[List[StagedFile], Dict[str, List[int]]]:
    """The files to pack, and {reason: [files, bytes]} of those slimmed away (:func:`slim_reason`)."""
    kept: List[StagedFile] = []
    slimmed: Dict[str, List[int]] = {}
    for staged_file in files:
        reason = slim_reason(staged_file.relpath, staged_file.source, context)
        if reason is None:
            kept.append(staged_file)
        else:
            counts = slimmed.setdefault(reason, [0, 0])
            counts[0] += 1
            counts[1] += staged_file.size
    return kept, slimmed


def sourceless_bytecode_problems(kept: Sequence[StagedFile], context: SlimmingContext, target: LambdaTarget) -> List[str]:
    """The kept sourceless ``.pyc`` whose magic number is not the target Python's (first 4 bytes)."""
    expected = target.pyc_magic
    problems = []
    for staged in kept:
        if context.is_sourceless(staged.relpath):
            header = _header(staged.source, 4)
            if header != expected:
                found = f"magic number {int.from_bytes(header[:2], 'little')}" if header[2:4] == b"\r\n" else "no magic number"
                problems.append(f"{staged.relpath} ({found}; Python {target.python_version} reads "
                                f"{int.from_bytes(expected[:2], 'little')})")
    return problems
