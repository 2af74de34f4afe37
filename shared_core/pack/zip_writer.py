"""Write a byte-for-byte reproducible ZIP archive, compressing members in parallel.

The stdlib :mod:`zipfile` cannot take data that was already compressed, so it can neither use
libdeflate nor compress on several threads. This module schedules the compression and writes
the records :mod:`shared_core.pack.zip_format` lays out, members sorted by name, into a
temporary file renamed over the destination only when complete. A member whose stream was
computed ahead (:mod:`shared_core.pack.compress_ahead`) is taken as it is: the same function
made it, from the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Callable, Deque, Iterator, List, Optional, Sequence, Tuple

from shared_core.pack.member_cache import MIN_CACHED_SIZE, MemberCache
from shared_core.pack.zip_format import (
    DEFLATED,
    STORED,
    CentralEntry,
    Compressed,
    central_header,
    dos_date_time,
    encode_name,
    end_records,
    external_attr,
    local_header,
    reproducible_date_time,
)
from shared_core.support.deflate import (
    MAX_COMPRESSION_LEVEL,
    MIN_COMPRESSION_LEVEL,
    compression_backend,
    compressor_id,
    raw_deflate,
)

__all__ = ["AheadLookup", "Compress", "ZipMember", "ZipWriteResult", "compress_content", "write_deterministic_zip"]

#: Scheduling: small files are compressed in groups of about this much input ...
_BATCH_BYTES = 1 << 20
_BATCH_FILES = 64
#: ... and work is queued up to this much input ahead of the member being written.
_BYTES_AHEAD = 64 << 20

#: Raw DEFLATE of a member's bytes (:func:`shared_core.support.deflate.raw_deflate`).
Compress = Callable[[bytes], bytes]
#: A member's stream computed ahead, by its source path, or None: the writer compresses it then.
AheadLookup = Callable[[Path], Optional[Compressed]]


@dataclass(frozen=True)
class ZipMember:
    """One file to pack: where it goes in the archive and where its bytes come from."""

    arcname: str  # posix path inside the archive, e.g. "python/requests/__init__.py"
    source: Path  # regular file to read (the caller already resolved symlinks)
    executable: bool  # True -> mode 0o755, else 0o644


@dataclass(frozen=True)
class ZipWriteResult:
    """What was written, for the size report."""

    path: Path
    files: int
    unzipped_bytes: int
    zipped_bytes: int  # final archive size on disk
    backend: str  # "libdeflate" or "zlib"
    from_cache: int = 0  # members whose compressed stream came from the member cache
    cache_rejected: int = 0  # cache entries that failed verification (recompressed and replaced)
    ahead: int = 0  # members whose stream was computed before the writer reached them


@dataclass
class _Written:
    """What writing the members produced: the central directory's entries and the tallies."""

    entries: List[CentralEntry]
    unzipped_bytes: int = 0
    from_cache: int = 0
    cache_rejected: int = 0
    ahead: int = 0


def _compress_member(
    source: Path, compress: Optional[Compress], cache: Optional[MemberCache] = None, ahead: Optional[AheadLookup] = None,
) -> Compressed:
    """One member's stream: computed ahead, else read and compressed here."""
    if ahead is not None:
        found = ahead(source)
        if found is not None:
            return found
    return compress_content(source.read_bytes(), compress, cache)


def compress_content(
    data: bytes, compress: Optional[Compress], cache: Optional[MemberCache], digest: Optional[bytes] = None
) -> Compressed:
    """A member's bytes as the archive holds them: the verified stream from ``cache``, else compressed
    (and cached); stored when compression would not make them smaller. ``digest``: their sha256, when
    the caller has it already."""
    crc = zlib.crc32(data)
    if compress is None or not data:
        return Compressed(crc, len(data), STORED, data)
    if cache is None or len(data) < MIN_CACHED_SIZE:
        return _smaller_of(data, crc, compress(data))
    digest = digest or hashlib.sha256(data).digest()
    found = cache.load(digest, data, crc)
    if found.stream is not None:
        return Compressed(crc, len(data), DEFLATED, found.stream, from_cache=True)
    member = replace(_smaller_of(data, crc, compress(data)), cache_rejected=found.rejected)
    if member.method == DEFLATED:
        cache.store(digest, len(data), crc, member.data)
    else:
        cache.discard(digest)
    return member


def _smaller_of(data: bytes, crc: int, packed: bytes) -> Compressed:
    """Deflated, unless that is no smaller than the data itself: then stored, as zip tools do."""
    if len(packed) < len(data):
        return Compressed(crc, len(data), DEFLATED, packed)
    return Compressed(crc, len(data), STORED, data)


def _sorted_members(members: Sequence[ZipMember]) -> List[ZipMember]:
    """Members in archive order; a duplicate name would make the archive ambiguous, so it is an error."""
    ordered = sorted(members, key=lambda member: member.arcname)
    for previous, current in zip(ordered, ordered[1:]):
        if previous.arcname == current.arcname:
            raise ValueError(f"duplicate archive name {current.arcname!r} ({previous.source} and {current.source})")
    for member in ordered:
        if not member.arcname or member.arcname.startswith("/") or member.arcname.endswith("/"):
            raise ValueError(f"archive name {member.arcname!r} must be a relative posix path to a file")
    return ordered


def _size_hint(source: Path) -> int:
    """The file's size for scheduling only; a file that cannot be read fails later, in order."""
    try:
        return os.stat(source).st_size
    except OSError:
        return 0


def _batches(members: Sequence[ZipMember]) -> Iterator[Tuple[List[ZipMember], int]]:
    """Consecutive members grouped into tasks of about ``_BATCH_BYTES``, with their total size.

    One task per file costs more in thread hand-offs than compressing a small file does, so
    small files travel together; a big file is a task of its own.
    """
    batch: List[ZipMember] = []
    batch_bytes = 0
    for member in members:
        batch.append(member)
        batch_bytes += _size_hint(member.source)
        if batch_bytes >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            yield batch, batch_bytes
            batch, batch_bytes = [], 0
    if batch:
        yield batch, batch_bytes


def _compress_batch(
    sources: Sequence[Path], compress: Optional[Compress], cache: Optional[MemberCache], ahead: Optional[AheadLookup] = None,
) -> List[Compressed]:
    """One thread-pool task: a few consecutive members, in order."""
    return [_compress_member(source, compress, cache, ahead) for source in sources]


def _write_member(
    out: BinaryIO, member: ZipMember, packed: Compressed, dos: Tuple[int, int], offset: int
) -> Tuple[CentralEntry, int]:
    """Write one member (local header, then data) at ``offset``: its central directory entry, and
    the offset after it."""
    name, flags = encode_name(member.arcname)
    header = local_header(name, flags, packed, dos)
    out.write(header)
    out.write(packed.data)
    entry = CentralEntry(
        name=name,
        flags=flags,
        method=packed.method,
        crc=packed.crc,
        compressed_size=len(packed.data),
        size=packed.size,
        offset=offset,
        external_attr=external_attr(member.executable),
    )
    return entry, offset + len(header) + len(packed.data)


def _write_members(
    out: BinaryIO,
    members: Sequence[ZipMember],
    compress: Optional[Compress],
    workers: int,
    dos: Tuple[int, int],
    progress: Optional[Callable[[int, int], None]],
    cache: Optional[MemberCache] = None,
    ahead: Optional[AheadLookup] = None,
) -> _Written:
    """Compress on a thread pool, write in name order, with a bounded amount of data in memory.

    Both libdeflate and zlib release the GIL, so threads give real parallelism without the cost
    of sending file contents to other processes. Work is queued ahead up to
    ``_BYTES_AHEAD`` of input (and always at least ``workers * 4`` tasks), so that while
    one worker spends seconds on a large library the others keep going on the files after it.
    """
    written = _Written(entries=[])
    offset = 0
    done = 0
    total = len(members)
    min_tasks = workers * 4
    pending: Deque[Tuple[List[ZipMember], int, Future]] = deque()
    bytes_ahead = 0
    upcoming = _batches(members)

    def fill(executor: ThreadPoolExecutor) -> None:
        nonlocal bytes_ahead
        while len(pending) < min_tasks or bytes_ahead < _BYTES_AHEAD:
            batch = next(upcoming, None)
            if batch is None:
                return
            sources = [member.source for member in batch[0]]
            pending.append((batch[0], batch[1], executor.submit(_compress_batch, sources, compress, cache, ahead)))
            bytes_ahead += batch[1]

    # leaving the block waits for the tasks still running: nothing reads the sources after we return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zip-writer") as executor:
        try:
            fill(executor)
            while pending:
                batch, batch_bytes, future = pending.popleft()
                results: List[Compressed] = future.result()
                bytes_ahead -= batch_bytes
                fill(executor)
                for member, packed in zip(batch, results):
                    entry, offset = _write_member(out, member, packed, dos, offset)
                    written.entries.append(entry)
                    written.unzipped_bytes += packed.size
                    written.from_cache += packed.from_cache
                    written.cache_rejected += packed.cache_rejected
                    written.ahead += packed.ahead
                    done += 1
                    if progress is not None:
                        progress(done, total)
        except BaseException:
            for _, _, future in pending:
                future.cancel()
            raise
    return written


def _final_mode(destination: Path) -> int:
    """Keep the mode of the zip being replaced; a new one is 0644 (reading the umask would set it).

    ``lstat``: a symlink at ``destination`` is replaced by a regular file, so its target's mode
    (some other file's) does not count.
    """
    try:
        info = destination.lstat()
    except OSError:
        return 0o644
    return info.st_mode & 0o777 if stat.S_ISREG(info.st_mode) else 0o644


def write_deterministic_zip(
    members: Sequence[ZipMember],
    destination: Path,
    *,
    compression_level: int = 9,
    workers: Optional[int] = None,
    progress: Optional[Callable[[int, int], None]] = None,
    cache_root: Optional[Path] = None,
    comment: bytes = b"",
    ahead: Optional[AheadLookup] = None,
    before_replace: Optional[Callable[[], None]] = None,
    _backend: Optional[str] = None,
) -> ZipWriteResult:
    """Write ``members`` to ``destination`` as a reproducible ZIP, replacing it atomically.

    ``compression_level`` is on libdeflate's 0..12 scale (0 stores; zlib caps at 9).
    ``workers`` defaults to the CPU count. ``progress`` is called ``(done, total)`` as members
    are written. The archive is built in a temporary file next to ``destination`` and renamed
    over it only when complete, so a failed or interrupted build never leaves a half-written
    zip, nor destroys the previous one. ``cache_root``: where the :class:`MemberCache` of
    compressed members lives (None: no cache); the bytes written do not depend on it. ``comment``:
    the archive's comment (a function zip says what it is there; a layer zip has none). ``ahead``:
    where streams computed before the writer reached their member are found (they must come from
    :func:`compress_content` with this compressor). ``before_replace`` runs once the archive is
    complete, before it replaces ``destination``: what it raises leaves ``destination`` as it was.
    ``_backend`` forces ``"libdeflate"`` or ``"zlib"`` (tests).
    """
    if not MIN_COMPRESSION_LEVEL <= compression_level <= MAX_COMPRESSION_LEVEL:
        raise ValueError(f"compression_level must be between {MIN_COMPRESSION_LEVEL} and {MAX_COMPRESSION_LEVEL}, got {compression_level}")
    backend = _backend or compression_backend()
    compress = raw_deflate(backend, compression_level) if compression_level > 0 else None
    cache = MemberCache(cache_root, compressor_id(backend), compression_level) if cache_root and compress else None
    ordered = _sorted_members(members)
    dos = dos_date_time(reproducible_date_time())
    worker_count = workers if workers is not None else (os.cpu_count() or 1)
    if worker_count < 1:
        raise ValueError(f"workers must be at least 1, got {worker_count}")

    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, temp_name = tempfile.mkstemp(dir=destination.parent, prefix=".layer-", suffix=".zip.tmp")
    except OSError as error:  # a read-only or full folder: name the zip, not a temporary name
        error.filename = str(destination)
        raise
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            written = _write_members(out, ordered, compress, worker_count, dos, progress, cache, ahead)
            directory_offset = out.tell()
            for entry in written.entries:
                out.write(central_header(entry, dos))
            directory_size = out.tell() - directory_offset
            out.write(end_records(len(written.entries), directory_offset, directory_size, comment))
            zipped_bytes = out.tell()
        if before_replace is not None:
            before_replace()
        # mkstemp makes the file 0600; the finished zip gets the usual permissions of a shared file.
        os.chmod(temp_name, _final_mode(destination))
        os.replace(temp_name, destination)  # a symlink at destination is replaced, its target untouched
    except BaseException as error:
        with contextlib.suppress(OSError):  # a failed clean-up must not hide why the write failed
            os.unlink(temp_name)
        if isinstance(error, OSError) and error.filename is None:
            error.filename = str(destination)  # a failed write (disk full): name the zip, not the stream
        raise
    return ZipWriteResult(
        path=destination,
        files=len(written.entries),
        unzipped_bytes=written.unzipped_bytes,
        zipped_bytes=zipped_bytes,
        backend=backend,
        from_cache=written.from_cache,
        cache_rejected=written.cache_rejected,
        ahead=written.ahead,
    )
