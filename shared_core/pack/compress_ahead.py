"""Compress a layer's members while the rest of the build runs, so the zip writer finds them ready.

The zip is written in name order once every check has passed, but a member's DEFLATE stream depends
only on its bytes, and most of those are final long before: every installed file once Step 1 has
audited it, each ``.pyc`` as it is compiled. Compressing them then keeps the cores busy while the
compiler, the planning and the import check run, instead of after them. The biggest files go first,
so that no single big library is left compressing on one core at the end.

Nothing here decides what the zip holds: the writer still writes exactly the members Step 2 chose,
in its order, and asks for each one's stream. It gets one only when that file was compressed here
and is still the file that was read: the same device, inode, size and modification time (git's
index with ``core.trustctime = false``: the change time is not compared, because staging hard-links
uv's cache and removing the previous staging, which links the same files, changes it). A read
during which the file changed is not used either. Anything else (a file not predicted, one
that changed) the writer compresses itself, as it always did; one whose task had not started yet is
compressed at once in the writer's thread, by the same function.

The cores are shared, not multiplied: every compression made here or claimed by the writer takes one
of :class:`Slots` (one per CPU, less the compiler's processes while they run, less the import
check's interpreter), so the compiler, the
threads here and the writer's never run more DEFLATE at once than there are cores (more threads than
cores cost CPU time in switches and evicted caches, and finish no sooner).
The streams come from the writer's own function and member cache, so the zip's bytes do not depend
on what was compressed here; a wrong prediction (a file slimmed away after all) costs only CPU.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence

from shared_core.install.distributions import scan_distributions
from shared_core.pack.exclusion import plan_exclusions
from shared_core.pack.member_cache import MemberCache, member_cache_root
from shared_core.pack.package_tests import suite_root
from shared_core.pack.slimming import SlimmingContext, pyc_source, slim_reason
from shared_core.pack.tree import StagedFile, walk_tree
from shared_core.pack.zip_format import Compressed
from shared_core.pack.zip_writer import Compress, compress_content
from shared_core.support.deflate import compression_backend, compressor_id, raw_deflate

#: Input bytes compressed ahead at most: their streams wait in memory until the writer takes them
#: (a pandas + pyarrow layer is 250 MB, about 80 MB of streams).
AHEAD_BUDGET = 512 << 20
#: Files smaller than this are left to the writer, which compresses them in batches: each task here
#: costs Python work (a future, a lookup, a stat) that a small file does not pay back. On a pandas +
#: pyarrow layer, files from 64 KiB up are 301 of 4,581 and 87% of the bytes.
AHEAD_MIN_SIZE = 64 << 10


@dataclass(frozen=True)
class FileIdentity:
    """What says a file is the one that was read (a write changes its modification time)."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> "FileIdentity":
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass(frozen=True)
class AheadMember:
    """One file compressed ahead: which file it was, the sha256 of its bytes and their stream."""

    identity: FileIdentity
    digest: bytes
    packed: Compressed


class Slots:
    """A semaphore whose size can change: how many compressions (or other CPU-bound work, such as the
    import check's interpreter) may run at once."""

    def __init__(self, size: int) -> None:
        self._size = max(0, size)
        self._taken = 0
        self._changed = threading.Condition()

    @property
    def size(self) -> int:
        return self._size

    def resize(self, size: int) -> None:
        """None while others take every core: what waits, waits until it grows again."""
        with self._changed:
            self._size = max(0, size)
            self._changed.notify_all()

    def __enter__(self) -> "Slots":
        with self._changed:
            self._changed.wait_for(lambda: self._taken < self._size)
            self._taken += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._changed:
            self._taken -= 1
            self._changed.notify()

    def gated(self, compress: Compress) -> Compress:
        """``compress`` run in a slot."""
        def run(data: bytes) -> bytes:
            with self:
                return compress(data)
        return run


def _identity(path: Path) -> Optional[FileIdentity]:
    try:
        return FileIdentity.of(os.stat(path))
    except OSError:
        return None


class AheadCompressor:
    """Files of a staged tree compressed on worker threads, each claimed once by the zip writer.

    Files are named relative to the tree's root, which Step 1 moves once (its staging folder is
    renamed into place): :meth:`moved` says where it is now, and a task that finds its file gone
    reads it there.
    """

    def __init__(self, compress: Compress, cache: Optional[MemberCache], workers: int,
                 budget: int = AHEAD_BUDGET) -> None:
        self.slots = Slots(workers)
        self._compress = self.slots.gated(compress)
        self._cache = cache
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zip-ahead")
        self._futures: Dict[str, "Future[Optional[AheadMember]]"] = {}
        self._lock = threading.Lock()
        self._root: Optional[Path] = None
        self._budget = budget
        self._closed = False

    @property
    def root(self) -> Optional[Path]:
        return self._root

    def moved(self, root: Path) -> None:
        """The tree is now at ``root`` (its files, their identities included, are unchanged)."""
        self._root = root

    def share(self, others: int) -> None:
        """``others`` processes (the compiler's) now use the cores too (0: they have finished)."""
        self.slots.resize(self._workers - others)

    def submit(self, root: Path, files: Sequence[StagedFile]) -> None:
        """Compress ``files`` of the tree at ``root``, biggest first, within the budget."""
        with self._lock:
            if self._closed:
                return
            self._root = root
            for staged in sorted(files, key=lambda staged: (-staged.size, staged.relpath)):
                if staged.relpath in self._futures or staged.size > self._budget:
                    continue
                self._budget -= staged.size
                self._futures[staged.relpath] = self._pool.submit(self._compress_file, staged.relpath)

    def _compress_file(self, relpath: str) -> Optional[AheadMember]:
        """Read the file once (its identity taken on the open handle, before and after), hash and compress it."""
        for _ in range(2):  # a second time only if the tree moved while this task looked for it
            root = self._root
            assert root is not None
            try:
                with open(root / relpath, "rb") as handle:
                    before = FileIdentity.of(os.fstat(handle.fileno()))
                    data = handle.read()
                    after = FileIdentity.of(os.fstat(handle.fileno()))
            except FileNotFoundError:
                if self._root != root:
                    continue
                return None
            except OSError:
                return None  # the writer reads it again and says what is wrong
            if before != after:
                return None  # written while it was read
            digest = hashlib.sha256(data).digest()
            return AheadMember(before, digest, compress_content(data, self._compress, self._cache, digest))
        return None

    def _relpath(self, source: Path) -> Optional[str]:
        root = self._root
        if root is None:
            return None
        prefix, path = str(root) + os.sep, str(source)  # string work: called for every member and file
        return path[len(prefix):].replace(os.sep, "/") if path.startswith(prefix) else None

    def _finished(self, future: "Optional[Future[Optional[AheadMember]]]", source: Path) -> Optional[AheadMember]:
        """The task's result if it succeeded and ``source`` is still the file it read."""
        if future is None:
            return None
        try:
            found = future.result()
        except Exception:  # a bug in a task: the writer compresses the member itself
            return None
        if found is None or _identity(source) != found.identity:
            return None
        return found

    def claim(self, source: Path) -> Optional[Compressed]:
        """The zip writer's lookup: ``source``'s stream, waiting if its task is running; compressed now,
        in a slot, if its task had not started (it is cancelled); None when there is none (the writer
        compresses it, as it does every member not compressed here)."""
        relpath = self._relpath(source)
        with self._lock:
            future = self._futures.pop(relpath, None) if relpath is not None else None
        if future is None:
            return None
        if future.cancel():
            return compress_content(source.read_bytes(), self._compress, self._cache)
        found = self._finished(future, source)
        return replace(found.packed, ahead=True) if found is not None else None

    def digest(self, source: Path) -> Optional[str]:
        """The hex sha256 of ``source`` when its task has already read it (never waits)."""
        relpath = self._relpath(source)
        with self._lock:
            future = self._futures.get(relpath) if relpath is not None else None
        if future is None or not future.done():
            return None
        found = self._finished(future, source)
        return found.digest.hex() if found is not None else None

    def close(self) -> None:
        """Cancel what has not started and wait for what has: no thread outlives the build."""
        with self._lock:
            self._closed = True
            futures, self._futures = list(self._futures.values()), {}
        for future in futures:
            future.cancel()
        self.slots.resize(self._workers)  # a task waiting for a slot (Step 1 failed while compiling) finishes
        self._pool.shutdown(wait=True)


class LayerAheadCompression:
    """Step 1's observer (:class:`shared_core.install.staging.StagingObserver`): predicts which
    installed files the layer keeps and compresses them, then each ``.pyc`` as it is compiled.

    The prediction is Step 2's own rules on the tree as installed: the exclusions, the slimming,
    and with ``drop_package_tests`` no file of a test directory (one a kept module imports is
    compressed by the writer instead). RECORD files are rewritten by Step 2, so never compressed
    here, nor files under :data:`AHEAD_MIN_SIZE` (the writer's batches compress those more cheaply).
    """

    def __init__(self, compressor: AheadCompressor, patterns: Sequence[str], drop_package_tests: bool) -> None:
        self.compressor = compressor
        self._patterns = tuple(patterns)
        self._drop_package_tests = drop_package_tests
        self._kept_sources: FrozenSet[str] = frozenset()

    def installed(self, root: Path) -> None:
        files = predicted_members(walk_tree(root), root, self._patterns, self._drop_package_tests)
        self._kept_sources = frozenset(staged.relpath for staged in files)
        self.compressor.submit(root, [staged for staged in files if _worth_it(staged)])

    def compiled(self, root: Path, relpath: str) -> None:
        """``relpath`` (a ``__pycache__`` ``.pyc``) was written under ``root``."""
        if pyc_source(relpath) not in self._kept_sources:
            return
        try:
            size = os.stat(root / relpath).st_size
        except OSError:
            return
        staged = StagedFile(relpath, root / relpath, size, False)
        if _worth_it(staged):
            self.compressor.submit(root, [staged])

    def compiling(self, processes: int) -> None:
        self.compressor.share(processes)

    def staged(self, root: Path) -> None:
        self.compressor.share(0)
        self.compressor.moved(root)


def _worth_it(staged: StagedFile) -> bool:
    return staged.size >= AHEAD_MIN_SIZE and not staged.relpath.endswith(".dist-info/RECORD")


def predicted_members(tree: Sequence[StagedFile], root: Path, patterns: Sequence[str],
                      drop_package_tests: bool) -> List[StagedFile]:
    """The files of a freshly installed tree that Step 2 will most likely pack (see the class above)."""
    distributions = scan_distributions(root)
    plan = plan_exclusions(distributions, patterns)
    excluded = {dist.name for dist in plan.excluded}
    after_exclusion = [staged for staged in tree if staged.relpath not in plan.excluded_files]
    kept_distributions = [dist for dist in distributions if dist.name not in excluded]
    context = SlimmingContext.create((staged.relpath for staged in after_exclusion), kept_distributions, distributions)
    return [
        staged for staged in after_exclusion
        if slim_reason(staged.relpath, staged.source, context) is None
        and not (drop_package_tests and suite_root(staged.relpath) is not None)
    ]


def ahead_compression(level: int, patterns: Sequence[str], drop_package_tests: bool,
                      workers: Optional[int] = None) -> Optional[LayerAheadCompression]:
    """The observer for a build at ``level`` (None at level 0: members are stored, nothing to compress),
    with the writer's compressor and member cache, on ``workers`` threads (default: one per CPU)."""
    if level == 0:
        return None
    backend = compression_backend()
    cache = MemberCache(member_cache_root(), compressor_id(backend), level)
    compressor = AheadCompressor(raw_deflate(backend, level), cache, workers or os.cpu_count() or 1)
    return LayerAheadCompression(compressor, patterns, drop_package_tests)
