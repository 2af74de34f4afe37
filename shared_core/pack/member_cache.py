"""A content-addressed cache of compressed zip members: a rebuild does not recompress what did not change.

A pandas + pyarrow layer is 285 MB of members whose DEFLATE streams take seconds to compute and
are the same every time. The key is what decides a stream's bytes: the sha256 of the member's
content, the compression level and the compressor (backend and its version). Same key, same
stream, so a zip written from the cache is byte-identical to a cold build's.

An entry is never trusted blindly. On reuse it must hold the content's CRC-32 and size (computed
from the file just read, not from the entry), its stream must have the recorded length and
sha256, be shorter than the content (a cold build stores a member that does not shrink), and
inflate to exactly the content. Anything else is a rejected entry: the member is compressed
again and the entry replaced. Entries are written to a temporary file and renamed, so a crash
leaves no half entry; an unwritable cache only costs speed.

Members under :data:`MIN_CACHED_SIZE` bytes are not cached: compressing them is cheaper than
opening a file for each.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from shared_core.support.atomic_file import write_atomically
from shared_core.support.cache import cache_dir

#: Below this many bytes a member is compressed every time (measured: all members under 4 KiB of
#: a pandas + pyarrow layer, 2,388 files, take 0.1 s of CPU to compress at level 9).
MIN_CACHED_SIZE = 4096

#: Entry layout: magic, CRC-32 and size of the content, stream length, sha256 of the stream; then the stream.
_HEADER = struct.Struct("<8sIQQ32s")
_MAGIC = b"LLBZMEM1"


def member_cache_root() -> Path:
    """Where every build's member cache lives: one per user, whatever the project (a wheel's file
    compresses once per level and compressor, in whichever project it lands)."""
    return cache_dir() / "zip-members"


def _inflater() -> Callable[[bytes, int], bytes]:
    """Raw DEFLATE decoding of a stream whose decoded size is known (libdeflate when available)."""
    try:
        import deflate
    except ImportError:
        return lambda stream, size: zlib.decompress(stream, -15, max(size, 1))

    def inflate(stream: bytes, size: int) -> bytes:
        return deflate.deflate_decompress(stream, size)

    return inflate


@dataclass(frozen=True)
class CacheLookup:
    """A verified stream (``stream`` set), a miss (neither set) or a rejected entry (``rejected``)."""

    stream: Optional[bytes] = None
    rejected: bool = False


class MemberCache:
    """Compressed streams under ``root/<compressor>-level<N>/<ab>/<sha256>``, shared by every build.

    ``compressor`` names the backend and its version (``libdeflate-0.9.0``, ``zlib-1.3.1``):
    another version may compress differently, and then its streams must not be reused.
    """

    def __init__(self, root: Path, compressor: str, level: int) -> None:
        self.directory = Path(root) / f"{compressor}-level{level}"
        self._inflate = _inflater()

    def entry_path(self, digest: bytes) -> Path:
        name = digest.hex()
        return self.directory / name[:2] / name

    def load(self, digest: bytes, content: bytes, crc: int) -> CacheLookup:
        """The stream stored for ``content`` (whose sha256 is ``digest``) if the entry checks out."""
        try:
            entry = self.entry_path(digest).read_bytes()
        except OSError:
            return CacheLookup()
        stream = verified_stream(entry, content, crc, self._inflate)
        return CacheLookup(stream=stream, rejected=stream is None)

    def discard(self, digest: bytes) -> None:
        """Remove the entry for a member that is stored, not deflated: only a bad entry can be there,
        and no build would ever replace it. Any OSError just leaves it (it is verified before use)."""
        with contextlib.suppress(OSError):
            self.entry_path(digest).unlink()

    def store(self, digest: bytes, content_size: int, crc: int, stream: bytes) -> None:
        """Write the entry atomically; any OSError (read-only or full disk) just skips caching."""
        path = self.entry_path(digest)
        header = _HEADER.pack(_MAGIC, crc, content_size, len(stream), hashlib.sha256(stream).digest())
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, header + stream, prefix=".entry-")


def verified_stream(entry: bytes, content: bytes, crc: int, inflate: Callable[[bytes, int], bytes]) -> Optional[bytes]:
    """The entry's stream if every check against ``content`` passes, else None (see the module doc)."""
    if len(entry) < _HEADER.size:
        return None
    magic, stored_crc, stored_size, stream_length, stream_digest = _HEADER.unpack_from(entry)
    stream = entry[_HEADER.size:]
    if (
        magic != _MAGIC
        or stored_crc != crc
        or stored_size != len(content)
        or stream_length != len(stream)
        or stream_length >= len(content)
        or hashlib.sha256(stream).digest() != stream_digest
    ):
        return None
    try:
        decoded = inflate(stream, len(content))
    except Exception:  # a damaged stream: each decoder raises its own error type
        return None
    return stream if decoded == content else None
