"""The compressed-member cache: reuse gives the cold build's bytes, and no damaged entry is ever used."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from shared_core.pack.member_cache import MemberCache
from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
from shared_core.support.deflate import compressor_id

BIG = b"".join(b"line %d of a module that compresses well\n" % (i % 50) for i in range(400))  # 16,490 bytes
OTHER = b"".join(b"another %d, also compressible text\n" % (i % 40) for i in range(300))
FILES: Dict[str, bytes] = {
    "python/pkg/big.py": BIG,
    "python/pkg/other.py": OTHER,
    "python/pkg/small.py": b"x = 1\n" * 100,                          # 600 bytes: under 4 KiB, not cached
    "python/pkg/noise.bin": hashlib.sha256(b"seed").digest() * 64,    # 2 KiB, stored
    "python/pkg/random.bin": b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(256)),  # 8 KiB, incompressible
    "python/pkg/empty.txt": b"",
}
#: Entry layout, as the cache writes it: magic, CRC-32, size, stream length, sha256 of the stream.
HEADER = struct.Struct("<8sIQQ32s")


def make_members(root: Path, files: Dict[str, bytes]) -> List[ZipMember]:
    found = []
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        found.append(ZipMember(name, path, False))
    return found


@pytest.fixture
def members(tmp_path: Path) -> List[ZipMember]:
    return make_members(tmp_path / "tree", FILES)


def raw_deflate(data: bytes, level: int) -> bytes:
    """zlib's raw DEFLATE stream of ``data`` (no wrapper), as ZIP stores it."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def cache_entry(content: bytes, stream: bytes) -> bytes:
    """A well-formed cache entry that says ``stream`` is ``content`` compressed."""
    return HEADER.pack(b"LLBZMEM1", zlib.crc32(content), len(content), len(stream), hashlib.sha256(stream).digest()) + stream


def build(members: List[ZipMember], out: Path, cache: Path, backend: str = "libdeflate", level: int = 9):
    result = write_deterministic_zip(members, out, compression_level=level, cache_root=cache, _backend=backend)
    return result, hashlib.sha256(out.read_bytes()).hexdigest()


def entry_path(cache: Path, content: bytes, backend: str = "libdeflate", level: int = 9) -> Path:
    digest = hashlib.sha256(content).hexdigest()
    return cache / f"{compressor_id(backend)}-level{level}" / digest[:2] / digest


def cache_files(cache: Path) -> List[Path]:
    return sorted(path for path in cache.rglob("*") if path.is_file())


@pytest.mark.parametrize("backend", ["libdeflate", "zlib"])
def test_cold_and_warm_builds_equal_an_uncached_build(members, tmp_path, backend):
    cache = tmp_path / "cache"
    _, uncached = build(members, tmp_path / "plain.zip", None, backend)
    cold, cold_sha = build(members, tmp_path / "cold.zip", cache, backend)
    assert (cold.from_cache, cold.cache_rejected, cold_sha) == (0, 0, uncached)
    # only what is at least 4 KiB and shrinks: big.py and other.py, not small.py nor random.bin
    assert cache_files(cache) == sorted([entry_path(cache, BIG, backend), entry_path(cache, OTHER, backend)])
    warm, warm_sha = build(members, tmp_path / "warm.zip", cache, backend)
    assert (warm.from_cache, warm.cache_rejected, warm_sha) == (2, 0, uncached)


def test_level_and_compressor_are_part_of_the_key(members, tmp_path):
    cache = tmp_path / "cache"
    build(members, tmp_path / "nine.zip", cache)
    six, six_sha = build(members, tmp_path / "six.zip", cache, level=6)
    assert (six.from_cache, six_sha) == (0, build(members, tmp_path / "six-plain.zip", None, level=6)[1])
    with_zlib, zlib_sha = build(members, tmp_path / "zlib.zip", cache, backend="zlib")
    assert (with_zlib.from_cache, zlib_sha) == (0, build(members, tmp_path / "zlib-plain.zip", None, backend="zlib")[1])
    assert len(cache_files(cache)) == 6


def _flip_bit(entry: bytes) -> bytes:
    return entry[:-1] + bytes([entry[-1] ^ 0x01])


def _set_field(offset: int, fmt: str, value: int) -> Callable[[bytes], bytes]:
    def corrupt(entry: bytes) -> bytes:
        return entry[:offset] + struct.pack(fmt, value) + entry[offset + struct.calcsize(fmt):]
    return corrupt


def _padding_bit_flipped(entry: bytes) -> bytes:
    """A change inflate cannot see: a padding bit after the final block. The stream still decodes to
    the content, but it is no longer the stream a cold build writes; only its sha256 tells."""
    stream = entry[HEADER.size:]
    for bit in range(7, -1, -1):
        changed = stream[:-1] + bytes([stream[-1] ^ (1 << bit)])
        try:
            if zlib.decompress(changed, -15) == BIG:
                return entry[:HEADER.size] + changed
        except zlib.error:
            continue
    raise AssertionError("the fixture's stream has no padding bit to flip; change BIG")


def _wrong_stream_consistent_header(entry: bytes) -> bytes:
    """A well-formed entry for the right content holding another content's stream: only inflating it tells."""
    stream = raw_deflate(OTHER[:8000], 9)
    assert len(stream) < len(BIG)
    return cache_entry(BIG, stream)


@pytest.mark.parametrize("corrupt", [
    pytest.param(_flip_bit, id="stream-bit"),
    pytest.param(_padding_bit_flipped, id="padding-bit"),
    pytest.param(_wrong_stream_consistent_header, id="other-content-stream"),
    pytest.param(lambda entry: entry[:-7], id="truncated"),
    pytest.param(lambda entry: entry + b"\0", id="appended"),
    pytest.param(lambda entry: entry[:HEADER.size - 1], id="header-only"),
    pytest.param(lambda entry: b"", id="empty"),
    pytest.param(_set_field(0, "8s", b"NOTMAGIC"), id="magic"),
    pytest.param(_set_field(8, "<I", zlib.crc32(b"something else")), id="crc"),
    pytest.param(_set_field(12, "<Q", len(BIG) + 1), id="size"),
    pytest.param(_set_field(20, "<Q", 3), id="stream-length"),
])
def test_a_damaged_entry_is_detected_recomputed_and_replaced(members, tmp_path, corrupt):
    cache = tmp_path / "cache"
    _, cold_sha = build(members, tmp_path / "cold.zip", cache)
    entry = entry_path(cache, BIG)
    good = entry.read_bytes()
    entry.write_bytes(corrupt(good))
    assert entry.read_bytes() != good

    damaged, damaged_sha = build(members, tmp_path / "damaged.zip", cache)
    assert (damaged.from_cache, damaged.cache_rejected, damaged_sha) == (1, 1, cold_sha)
    assert entry.read_bytes() == good
    again, again_sha = build(members, tmp_path / "again.zip", cache)
    assert (again.from_cache, again.cache_rejected, again_sha) == (2, 0, cold_sha)


def test_an_entry_that_would_not_shrink_the_member_is_rejected(members, tmp_path):
    cache = tmp_path / "cache"
    _, cold_sha = build(members, tmp_path / "cold.zip", cache)
    # a valid DEFLATE stream of the content (stored blocks), but longer than the content: a cold
    # build would have stored the member instead, so this stream is not what it writes
    stored = raw_deflate(BIG, 0)
    assert zlib.decompress(stored, -15) == BIG and len(stored) > len(BIG)
    entry_path(cache, BIG).write_bytes(cache_entry(BIG, stored))
    result, sha = build(members, tmp_path / "again.zip", cache)
    assert (result.from_cache, result.cache_rejected, sha) == (1, 1, cold_sha)


def test_an_unwritable_cache_costs_only_speed(members, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_bytes(b"a file where the cache directory should be")
    _, plain = build(members, tmp_path / "plain.zip", None)
    for name in ("first.zip", "second.zip"):
        result, sha = build(members, tmp_path / name, blocked)
        assert (result.from_cache, result.cache_rejected, sha) == (0, 0, plain)
    assert blocked.read_bytes() == b"a file where the cache directory should be"


def test_store_then_load_round_trip_and_a_miss(tmp_path):
    cache = MemberCache(tmp_path, "zlib-test", 9)
    stream = raw_deflate(BIG, 9)
    digest = hashlib.sha256(BIG).digest()
    assert cache.load(digest, BIG, zlib.crc32(BIG)).stream is None
    assert cache.load(digest, BIG, zlib.crc32(BIG)).rejected is False
    cache.store(digest, len(BIG), zlib.crc32(BIG), stream)
    assert cache.entry_path(digest) == tmp_path / "zlib-test-level9" / digest.hex()[:2] / digest.hex()
    found = cache.load(digest, BIG, zlib.crc32(BIG))
    assert (found.stream, found.rejected) == (stream, False)
    # the same entry checked against other content (a hash collision, a renamed file) is rejected
    assert cache.load(digest, OTHER, zlib.crc32(OTHER)).rejected is True


def test_members_from_exactly_4_kib_are_cached(tmp_path):
    """MIN_CACHED_SIZE is inclusive: a 4,096-byte module is cached, a 4,095-byte one is not."""
    sizes = {"python/at.py": 4096, "python/below.py": 4095}
    members = make_members(tmp_path / "tree", {name: (b"x = %d\n" % size * size)[:size] for name, size in sizes.items()})
    cache = tmp_path / "cache"
    cold, _ = build(members, tmp_path / "cold.zip", cache)
    assert cache_files(cache) == [entry_path(cache, members[0].source.read_bytes())]
    warm, _ = build(members, tmp_path / "warm.zip", cache)
    assert (cold.from_cache, warm.from_cache) == (0, 1)


def test_a_bad_entry_for_a_stored_member_is_counted_and_removed(members, tmp_path):
    """random.bin is stored (deflate cannot shrink it), so no build would ever overwrite its entry."""
    cache = tmp_path / "cache"
    _, cold_sha = build(members, tmp_path / "cold.zip", cache)
    planted = entry_path(cache, FILES["python/pkg/random.bin"])
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(b"not an entry")
    result, sha = build(members, tmp_path / "planted.zip", cache)
    assert (result.from_cache, result.cache_rejected, sha) == (2, 1, cold_sha)
    assert not planted.exists()
    again, again_sha = build(members, tmp_path / "again.zip", cache)
    assert (again.from_cache, again.cache_rejected, again_sha) == (2, 0, cold_sha)
