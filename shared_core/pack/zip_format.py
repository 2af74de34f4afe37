"""The ZIP records (APPNOTE 6.3.x) a reproducible archive is made of.

Local header + data per member, then the central directory and the end records, with ZIP64
records only when the archive needs them. Everything that could differ between machines is
fixed here: the timestamp (``SOURCE_DATE_EPOCH`` or 1980-01-01), permissions (0644/0755 only),
the "made by" system (Unix), and there are no extra fields, comments or directory entries.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass
from typing import Sequence, Tuple

from shared_core.errors import SourceDateEpochError

__all__ = [
    "DEFLATED",
    "STORED",
    "CentralEntry",
    "Compressed",
    "DateTime",
    "central_header",
    "dos_date_time",
    "encode_name",
    "end_records",
    "external_attr",
    "local_header",
    "reproducible_date_time",
]

DateTime = Tuple[int, int, int, int, int, int]

#: The earliest time a DOS timestamp can hold, and the ZIP default for "no meaningful time".
_DOS_EPOCH: DateTime = (1980, 1, 1, 0, 0, 0)
_DOS_EPOCH_SECONDS = 315532800  # 1980-01-01T00:00:00Z
_DOS_LAST_SECONDS = 4354819198  # 2107-12-31T23:59:58Z, the last time a DOS timestamp can hold

STORED = 0
DEFLATED = 8
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


@dataclass(frozen=True)
class Compressed:
    """A member's bytes as they go into the archive, plus what the headers need to say about them."""

    crc: int
    size: int
    method: int
    data: bytes
    from_cache: bool = False
    cache_rejected: bool = False
    ahead: bool = False  # compressed before the writer reached it (see compress_ahead)


@dataclass(frozen=True)
class CentralEntry:
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


def dos_date_time(date_time: DateTime) -> Tuple[int, int]:
    """Pack a date_time tuple the way ZIP headers store it (2-second resolution)."""
    year, month, day, hour, minute, second = date_time
    dos_date = ((year - 1980) << 9) | (month << 5) | day
    dos_time = (hour << 11) | (minute << 5) | (second // 2)
    return dos_date, dos_time


def encode_name(arcname: str) -> Tuple[bytes, int]:
    """The name's bytes and flags: bit 11 (UTF-8) only when ASCII would not do, like Info-ZIP."""
    return arcname.encode(), 0 if arcname.isascii() else _FLAG_UTF8


def external_attr(executable: bool) -> int:
    """A regular file's Unix mode in the high 16 bits: only 0644 or 0755, whatever the disk says."""
    return (0o100755 if executable else 0o100644) << 16


def _zip64_extra(values: Sequence[int]) -> bytes:
    """A ZIP64 extended-information extra field holding the given 8-byte values, in spec order."""
    return struct.pack(f"<HH{len(values)}Q", _ZIP64_EXTRA_ID, 8 * len(values), *values)


def local_header(name: bytes, flags: int, member: Compressed, dos: Tuple[int, int]) -> bytes:
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


def central_header(entry: CentralEntry, dos: Tuple[int, int]) -> bytes:
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


def end_records(entries: int, directory_offset: int, directory_size: int, comment: bytes = b"") -> bytes:
    """End of central directory (with the archive's ``comment``), preceded by the ZIP64 end record and
    locator when any count overflows."""
    if len(comment) > _U16_LIMIT:
        raise ValueError(f"a ZIP comment holds at most {_U16_LIMIT} bytes, got {len(comment)}")
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
        len(comment),
    ) + comment


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
