"""Write a byte-for-byte reproducible ZIP archive, compressing members in parallel.

The stdlib :mod:`zipfile` cannot take data that was already compressed, so it can neither use
libdeflate nor compress on several threads. This module writes the ZIP records itself
(APPNOTE 6.3.x): local header + data per member, then the central directory and the end
records, with ZIP64 records only when the archive needs them.

Everything that could differ between machines is fixed: member order (sorted by name),
timestamp (``SOURCE_DATE_EPOCH`` or 1980-01-01), permissions (0644/0755 only), the "made by"
system (Unix), and there are no extra fields, comments or directory entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import struct
import tempfile
import time
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Callable, Deque, Iterator, List, Optional, Sequence, Tuple

from shared_core.errors import SourceDateEpochError
from shared_core.pack.member_cache import MIN_CACHED_SIZE, MemberCache

__all__ = [
    "MAX_COMPRESSION_LEVEL",
    "ZipMember",
    "ZipWriteResult",
    "compression_backend",
    "compressor_id",
    "reproducible_date_time",
    "write_deterministic_zip",
]

DateTime = Tuple[int, int, int, int, int, int]

#: The earliest time a DOS timestamp can hold, and the ZIP default for "no meaningful time".
_DOS_EPOCH: DateTime = (1980, 1, 1, 0, 0, 0)
_DOS_EPOCH_SECONDS = 315532800  # 1980-01-01T00:00:00Z
_DOS_LAST_SECONDS = 4354819198  # 2107-12-31T23:59:58Z, the last time a DOS timestamp can hold

_STORED = 0
_DEFLATED = 8
_VERSION_MADE_BY = (3 << 8) | 20  # Unix, spec 2.0: readers then apply the mode in external_attr
_VERSION_NEEDED = 20
_VERSION_NEEDED_ZIP64 = 45
_FLAG_UTF8 = 0x0800
_ZIP64_EXTRA_ID = 0x0001

_U16_LIMIT = 0xFFFF
_U32_LIMIT = 0xFFFFFFFF

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_ZIP64_END_RECORD = struct.Struct("<IQHHIIQQQQ")
_ZIP64_END_LOCATOR = struct.Struct("<IIQI")

_LOCAL_SIGNATURE = 0x04034B50
_CENTRAL_SIGNATURE = 0x02014B50
_END_SIGNATURE = 0x06054B50
_ZIP64_END_SIGNATURE = 0x06064B50
_ZIP64_LOCATOR_SIGNATURE = 0x07064B50

_MIN_LEVEL = 0
#: libdeflate's scale (0-12); zlib tops out at 9, so 10-12 mean 9 without libdeflate.
MAX_COMPRESSION_LEVEL = 12

#: Scheduling: small files are compressed in groups of about this much input ...
_BATCH_BYTES = 1 << 20
_BATCH_FILES = 64
#: ... and work is queued up to this much input ahead of the member being written.
_BYTES_AHEAD = 64 << 20


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


@dataclass(frozen=True)
class _Compressed:
    """A member's bytes as they go into the archive, plus what the headers need to say about them."""

    crc: int
    size: int
    method: int
    data: bytes
    from_cache: bool = False
    cache_rejected: bool = False


@dataclass
class _Written:
    """What writing the members produced: the central directory's entries and the tallies."""

    entries: List["_CentralEntry"]
    unzipped_bytes: int = 0
    from_cache: int = 0
    cache_rejected: int = 0


@dataclass(frozen=True)
class _CentralEntry:
    """What the central directory repeats about a member already written."""

    name: bytes
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    offset: int
    external_attr: int


def reproducible_date_time() -> DateTime:
    """SOURCE_DATE_EPOCH (UTC, clamped to >= 1980-01-01) if set, else (1980, 1, 1, 0, 0, 0).

    A fixed time is what makes two builds of the same files identical; SOURCE_DATE_EPOCH is
    the reproducible-builds.org way for a caller to choose that time. A malformed value is an
    error rather than silently ignored, as that specification asks.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return _DOS_EPOCH
    try:
        seconds = int(raw)
    except ValueError:
        raise SourceDateEpochError(
            f"SOURCE_DATE_EPOCH must be an integer number of seconds since 1970, got {raw!r}. "
            "Set it to e.g. the last commit's time (`git log -1 --format=%ct`) or unset it."
        ) from None
    seconds = min(max(seconds, _DOS_EPOCH_SECONDS), _DOS_LAST_SECONDS)
    return tuple(time.gmtime(seconds)[:6])  # type: ignore[return-value]


def compression_backend() -> str:
    """``"libdeflate"`` if the ``deflate`` bindings import, else ``"zlib"``.

    libdeflate compresses smaller and faster than zlib at the same level; zlib is always there.
    """
    try:
        import deflate  # noqa: F401
    except ImportError:
        return "zlib"
    return "libdeflate"


def _dos_date_time(date_time: DateTime) -> Tuple[int, int]:
    """Pack a date_time tuple the way ZIP headers store it (2-second resolution)."""
    year, month, day, hour, minute, second = date_time
    dos_date = ((year - 1980) << 9) | (month << 5) | day
    dos_time = (hour << 11) | (minute << 5) | (second // 2)
    return dos_date, dos_time


def _encode_name(arcname: str) -> Tuple[bytes, int]:
    """The name's bytes and flags: bit 11 (UTF-8) only when ASCII would not do, like Info-ZIP."""
    return arcname.encode(), 0 if arcname.isascii() else _FLAG_UTF8


def _external_attr(executable: bool) -> int:
    """A regular file's Unix mode in the high 16 bits: only 0644 or 0755, whatever the disk says."""
    return (0o100755 if executable else 0o100644) << 16


def _compressor(backend: str, level: int) -> Callable[[bytes], bytes]:
    """A function giving raw DEFLATE (no zlib/gzip wrapper) of its input, as ZIP stores it."""
    if backend == "libdeflate":
        import deflate

        return lambda data: deflate.deflate_compress(data, level)
    if backend == "zlib":
        zlib_level = min(level, 9)

        def compress(data: bytes) -> bytes:
            compressor = zlib.compressobj(zlib_level, zlib.DEFLATED, -15)
            return compressor.compress(data) + compressor.flush()

        return compress
    raise ValueError(f"unknown compression backend {backend!r}; expected 'libdeflate' or 'zlib'")


def compressor_id(backend: str) -> str:
    """The backend and its version: what, with the level, decides a member's compressed bytes."""
    if backend == "libdeflate":
        import deflate

        return f"libdeflate-{deflate.__version__}"
    return f"zlib-{zlib.ZLIB_RUNTIME_VERSION}"


def _compress_member(
    source: Path, compress: Optional[Callable[[bytes], bytes]], cache: Optional[MemberCache] = None
) -> _Compressed:
    """Read and compress one file (or take its verified stream from ``cache``); stored when
    compression would not make it smaller."""
    data = source.read_bytes()
    crc = zlib.crc32(data)
    if compress is None or not data:
        return _Compressed(crc, len(data), _STORED, data)
    if cache is None or len(data) < MIN_CACHED_SIZE:
        return _smaller_of(data, crc, compress(data))
    digest = hashlib.sha256(data).digest()
    found = cache.load(digest, data, crc)
    if found.stream is not None:
        return _Compressed(crc, len(data), _DEFLATED, found.stream, from_cache=True)
    member = replace(_smaller_of(data, crc, compress(data)), cache_rejected=found.rejected)
    if member.method == _DEFLATED:
        cache.store(digest, len(data), crc, member.data)
    else:
        cache.discard(digest)
    return member


def _smaller_of(data: bytes, crc: int, packed: bytes) -> _Compressed:
    """Deflated, unless that is no smaller than the data itself: then stored, as zip tools do."""
    if len(packed) < len(data):
        return _Compressed(crc, len(data), _DEFLATED, packed)
    return _Compressed(crc, len(data), _STORED, data)


def _zip64_extra(values: Sequence[int]) -> bytes:
    """A ZIP64 extended-information extra field holding the given 8-byte values, in spec order."""
    return struct.pack(f"<HH{len(values)}Q", _ZIP64_EXTRA_ID, 8 * len(values), *values)


def _local_header(name: bytes, flags: int, member: _Compressed, dos: Tuple[int, int]) -> bytes:
    """The record before each member's data; ZIP64 sizes only when a size does not fit 32 bits.

    When the local header has a ZIP64 extra field, the spec requires both sizes in it.
    """
    compressed_size = len(member.data)
    needs_zip64 = member.size >= _U32_LIMIT or compressed_size >= _U32_LIMIT
    extra = _zip64_extra((member.size, compressed_size)) if needs_zip64 else b""
    header = _LOCAL_HEADER.pack(
        _LOCAL_SIGNATURE,
        _VERSION_NEEDED_ZIP64 if needs_zip64 else _VERSION_NEEDED,
        flags,
        member.method,
        dos[1],
        dos[0],
        member.crc,
        _U32_LIMIT if needs_zip64 else compressed_size,
        _U32_LIMIT if needs_zip64 else member.size,
        len(name),
        len(extra),
    )
    return header + name + extra


def _central_header(entry: _CentralEntry, dos: Tuple[int, int]) -> bytes:
    """A central directory record; only the values that overflow 32 bits move to a ZIP64 extra."""
    overflow = [
        value for value in (entry.size, entry.compressed_size, entry.offset) if value >= _U32_LIMIT
    ]
    extra = _zip64_extra(overflow) if overflow else b""

    def field(value: int) -> int:
        return min(value, _U32_LIMIT)  # a value that overflows is 0xFFFFFFFF here and sits in the extra field

    header = _CENTRAL_HEADER.pack(
        _CENTRAL_SIGNATURE,
        _VERSION_MADE_BY,
        _VERSION_NEEDED_ZIP64 if overflow else _VERSION_NEEDED,
        entry.flags,
        entry.method,
        dos[1],
        dos[0],
        entry.crc,
        field(entry.compressed_size),
        field(entry.size),
        len(entry.name),
        len(extra),
        0,  # comment length
        0,  # disk number start
        0,  # internal attributes
        entry.external_attr,
        field(entry.offset),
    )
    return header + entry.name + extra


def _end_records(entries: int, directory_offset: int, directory_size: int) -> bytes:
    """End of central directory, preceded by the ZIP64 end record and locator when any count overflows."""
    needs_zip64 = entries >= _U16_LIMIT or directory_offset >= _U32_LIMIT or directory_size >= _U32_LIMIT
    zip64 = _zip64_end_records(entries, directory_offset, directory_size) if needs_zip64 else b""
    count = min(entries, _U16_LIMIT)
    return zip64 + _END_RECORD.pack(
        _END_SIGNATURE,
        0,
        0,
        count,
        count,
        min(directory_size, _U32_LIMIT),
        min(directory_offset, _U32_LIMIT),
        0,  # comment length
    )


def _zip64_end_records(entries: int, directory_offset: int, directory_size: int) -> bytes:
    """The ZIP64 end of central directory record and its locator, which point at it."""
    return _ZIP64_END_RECORD.pack(
        _ZIP64_END_SIGNATURE,
        _ZIP64_END_RECORD.size - 12,  # size of the rest of the record
        _VERSION_MADE_BY,
        _VERSION_NEEDED_ZIP64,
        0,  # this disk
        0,  # disk with the central directory
        entries,
        entries,
        directory_size,
        directory_offset,
    ) + _ZIP64_END_LOCATOR.pack(_ZIP64_LOCATOR_SIGNATURE, 0, directory_offset + directory_size, 1)


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
    sources: Sequence[Path], compress: Optional[Callable[[bytes], bytes]], cache: Optional[MemberCache]
) -> List[_Compressed]:
    """One thread-pool task: a few consecutive members, in order."""
    return [_compress_member(source, compress, cache) for source in sources]


def _write_member(
    out: BinaryIO, member: ZipMember, packed: _Compressed, dos: Tuple[int, int], offset: int
) -> Tuple[_CentralEntry, int]:
    """Write one member (local header, then data) at ``offset``: its central directory entry, and
    the offset after it."""
    name, flags = _encode_name(member.arcname)
    header = _local_header(name, flags, packed, dos)
    out.write(header)
    out.write(packed.data)
    entry = _CentralEntry(
        name=name,
        flags=flags,
        method=packed.method,
        crc=packed.crc,
        compressed_size=len(packed.data),
        size=packed.size,
        offset=offset,
        external_attr=_external_attr(member.executable),
    )
    return entry, offset + len(header) + len(packed.data)


def _write_members(
    out: BinaryIO,
    members: Sequence[ZipMember],
    compress: Optional[Callable[[bytes], bytes]],
    workers: int,
    dos: Tuple[int, int],
    progress: Optional[Callable[[int, int], None]],
    cache: Optional[MemberCache] = None,
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
            pending.append((batch[0], batch[1], executor.submit(_compress_batch, sources, compress, cache)))
            bytes_ahead += batch[1]

    # leaving the block waits for the tasks still running: nothing reads the sources after we return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zip-writer") as executor:
        try:
            fill(executor)
            while pending:
                batch, batch_bytes, future = pending.popleft()
                results: List[_Compressed] = future.result()
                bytes_ahead -= batch_bytes
                fill(executor)
                for member, packed in zip(batch, results):
                    entry, offset = _write_member(out, member, packed, dos, offset)
                    written.entries.append(entry)
                    written.unzipped_bytes += packed.size
                    written.from_cache += packed.from_cache
                    written.cache_rejected += packed.cache_rejected
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
    _backend: Optional[str] = None,
) -> ZipWriteResult:
    """Write ``members`` to ``destination`` as a reproducible ZIP, replacing it atomically.

    ``compression_level`` is on libdeflate's 0..12 scale (0 stores; zlib caps at 9).
    ``workers`` defaults to the CPU count. ``progress`` is called ``(done, total)`` as members
    are written. The archive is built in a temporary file next to ``destination`` and renamed
    over it only when complete, so a failed or interrupted build never leaves a half-written
    zip, nor destroys the previous one. ``cache_root``: where the :class:`MemberCache` of
    compressed members lives (None: no cache); the bytes written do not depend on it.
    ``_backend`` forces ``"libdeflate"`` or ``"zlib"`` (tests).
    """
    if not _MIN_LEVEL <= compression_level <= MAX_COMPRESSION_LEVEL:
        raise ValueError(f"compression_level must be between {_MIN_LEVEL} and {MAX_COMPRESSION_LEVEL}, got {compression_level}")
    backend = _backend or compression_backend()
    compress = _compressor(backend, compression_level) if compression_level > 0 else None
    cache = MemberCache(cache_root, compressor_id(backend), compression_level) if cache_root and compress else None
    ordered = _sorted_members(members)
    dos = _dos_date_time(reproducible_date_time())
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
            written = _write_members(out, ordered, compress, worker_count, dos, progress, cache)
            directory_offset = out.tell()
            for entry in written.entries:
                out.write(_central_header(entry, dos))
            directory_size = out.tell() - directory_offset
            out.write(_end_records(len(written.entries), directory_offset, directory_size))
            zipped_bytes = out.tell()
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
    )
