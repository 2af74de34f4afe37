"""Raw DEFLATE for ZIP members: libdeflate when its bindings import, else zlib.

One place knows the level scale (libdeflate's 0-12; zlib tops out at 9, so 10-12 mean 9 there)
and what identifies a compressor's output, so the setting's range, the writer and the member
cache's key cannot disagree.
"""

from __future__ import annotations

import zlib
from typing import Callable

__all__ = ["MAX_COMPRESSION_LEVEL", "MIN_COMPRESSION_LEVEL", "compression_backend", "compressor_id", "raw_deflate"]

#: 0 stores members uncompressed.
MIN_COMPRESSION_LEVEL = 0
#: libdeflate's scale (0-12); zlib tops out at 9, so 10-12 mean 9 without libdeflate.
MAX_COMPRESSION_LEVEL = 12


def compression_backend() -> str:
    """``"libdeflate"`` if the ``deflate`` bindings import, else ``"zlib"``.

    libdeflate compresses smaller and faster than zlib at the same level; zlib is always there.
    """
    try:
        import deflate  # noqa: F401
    except ImportError:
        return "zlib"
    return "libdeflate"


def raw_deflate(backend: str, level: int) -> Callable[[bytes], bytes]:
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
