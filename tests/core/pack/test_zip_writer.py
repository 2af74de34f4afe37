"""Tests for shared_core.pack.zip_writer (with zip_format and support.deflate): reproducible, valid,
atomic ZIP output."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from shared_core.pack.zip_format import reproducible_date_time
from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
from shared_core.support.deflate import compression_backend

TREE: Dict[str, Tuple[bytes, bool]] = {
    "python/pkg/__init__.py": (b"from .core import main\n" * 50, False),
    "python/pkg/core.py": (b"def main():\n    return 42\n" * 200, False),
    "python/pkg/data/empty.txt": (b"", False),
    "python/bin/tool": (b"#!/bin/sh\necho hello\n" * 10, True),
    "python/pkg/caf\u00e9.txt": ("unicode name \u00e9\n".encode() * 20, False),
    "python/aaa_first.py": (b"x = 1\n", False),
}


def make_tree(root: Path, tree: Dict[str, Tuple[bytes, bool]], order: List[str]) -> List[ZipMember]:
    """Create the files in ``order`` under ``root``; members returned in that (unsorted) order."""
    members = []
    for name in order:
        content, executable = tree[name]
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.chmod(path, 0o775 if executable else 0o664)
        members.append(ZipMember(name, path, executable))
    return members


def read_all(path: Path) -> Dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@pytest.fixture
def members(tmp_path: Path) -> List[ZipMember]:
    return make_tree(tmp_path / "tree", TREE, list(TREE))


def test_byte_identical_for_recreated_trees(tmp_path: Path) -> None:
    first = make_tree(tmp_path / "one", TREE, list(TREE))
    for member in first:
        os.utime(member.source, (1_000_000_000, 1_000_000_000))
    second = make_tree(tmp_path / "two", TREE, list(reversed(TREE)))
    for member in second:
        os.utime(member.source, (time.time() + 3600, time.time() + 3600))

    a = write_deterministic_zip(first, tmp_path / "a.zip")
    b = write_deterministic_zip(second, tmp_path / "b.zip", workers=1)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert a.zipped_bytes == b.zipped_bytes == (tmp_path / "a.zip").stat().st_size
    assert a.files == len(TREE)
    assert a.unzipped_bytes == sum(len(content) for content, _ in TREE.values())
    assert a.backend == compression_backend()


def test_entries_sorted_with_fixed_time_and_modes(tmp_path: Path, members: List[ZipMember], monkeypatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    write_deterministic_zip(members, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(TREE)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.create_system == 3
        assert info.create_version == 20
        assert info.extra == b""
        assert info.comment == b""
        expected = 0o100755 if TREE[info.filename][1] else 0o100644
        assert info.external_attr >> 16 == expected
        assert info.flag_bits & 0x800 == (0x800 if not info.filename.isascii() else 0)
    assert read_all(tmp_path / "out.zip") == {name: content for name, (content, _) in TREE.items()}


def test_source_date_epoch_is_honoured(tmp_path: Path, members: List[ZipMember], monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    assert reproducible_date_time() == (2023, 11, 14, 22, 13, 20)
    write_deterministic_zip(members, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert reproducible_date_time() == (1980, 1, 1, 0, 0, 0)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        reproducible_date_time()


@pytest.mark.parametrize("backend", ["zlib", "libdeflate"])
def test_valid_archive_roundtrips(tmp_path: Path, members: List[ZipMember], backend: str) -> None:
    if backend == "libdeflate":
        assert compression_backend() == "libdeflate", "deflate (libdeflate bindings), a dependency, is not installed"
    progress: List[Tuple[int, int]] = []
    result = write_deterministic_zip(
        members, tmp_path / "out.zip", _backend=backend, progress=lambda done, total: progress.append((done, total))
    )
    assert result.backend == backend
    assert progress == [(i, len(TREE)) for i in range(1, len(TREE) + 1)]
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.testzip() is None
        methods = {info.filename: info.compress_type for info in archive.infolist()}
    assert methods["python/pkg/core.py"] == zipfile.ZIP_DEFLATED
    assert methods["python/pkg/data/empty.txt"] == zipfile.ZIP_STORED
    assert read_all(tmp_path / "out.zip") == {name: content for name, (content, _) in TREE.items()}


def test_unzip_accepts_archive(tmp_path: Path, members: List[ZipMember]) -> None:
    assert shutil.which("unzip"), "Info-ZIP's unzip is the reference reader here: install it (apt-get install unzip)"
    write_deterministic_zip(members, tmp_path / "out.zip")
    checked = subprocess.run(["unzip", "-t", str(tmp_path / "out.zip")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No errors detected" in checked.stdout
    listing = subprocess.run(["zipinfo", str(tmp_path / "out.zip")], capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    assert "-rwxr-xr-x" in listing.stdout and "-rw-r--r--" in listing.stdout


def test_zlib_backend_caps_level_and_matches_zlib(tmp_path: Path) -> None:
    content = b"compressible text " * 5000
    source = tmp_path / "big.txt"
    source.write_bytes(content)
    write_deterministic_zip([ZipMember("big.txt", source, False)], tmp_path / "out.zip", compression_level=12, _backend="zlib")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    expected = compressor.compress(content) + compressor.flush()
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        info = archive.getinfo("big.txt")
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.compress_size == len(expected)
        assert archive.read(info) == content


def test_level_zero_stores(tmp_path: Path, members: List[ZipMember]) -> None:
    result = write_deterministic_zip(members, tmp_path / "out.zip", compression_level=0)
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
        assert archive.testzip() is None
    assert result.unzipped_bytes == sum(len(content) for content, _ in TREE.values())


def test_incompressible_member_is_stored(tmp_path: Path) -> None:
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(64 * 1024))
    text = tmp_path / "text.txt"
    text.write_bytes(b"a" * 10000)
    members = [ZipMember("noise.bin", noise, False), ZipMember("text.txt", text, False)]
    write_deterministic_zip(members, tmp_path / "out.zip", compression_level=12)
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.getinfo("noise.bin").compress_type == zipfile.ZIP_STORED
        assert archive.getinfo("noise.bin").compress_size == 64 * 1024
        assert archive.getinfo("text.txt").compress_type == zipfile.ZIP_DEFLATED
        assert archive.read("noise.bin") == noise.read_bytes()


def test_invalid_arguments(tmp_path: Path, members: List[ZipMember]) -> None:
    duplicate = [*members, ZipMember(members[0].arcname, members[1].source, False)]
    with pytest.raises(ValueError, match="duplicate"):
        write_deterministic_zip(duplicate, tmp_path / "out.zip")
    with pytest.raises(ValueError, match="compression_level"):
        write_deterministic_zip(members, tmp_path / "out.zip", compression_level=13)
    assert not (tmp_path / "out.zip").exists()


def test_creates_parent_directory(tmp_path: Path, members: List[ZipMember]) -> None:
    destination = tmp_path / "build" / "lambda" / "layer" / "layer.zip"
    result = write_deterministic_zip(members, destination)
    assert result.path == destination
    assert destination.stat().st_size == result.zipped_bytes
    assert list(destination.parent.glob(".layer-*")) == []


def test_failure_keeps_previous_archive(tmp_path: Path) -> None:
    destination = tmp_path / "out" / "layer.zip"
    destination.parent.mkdir()
    destination.write_bytes(b"previous archive bytes")
    tree = {f"python/m{i:03d}.py": (b"print(%d)\n" % i * 100, False) for i in range(200)}
    members = make_tree(tmp_path / "tree", tree, list(tree))
    members[150].source.unlink()  # vanishes after staging, mid-way through the archive

    seen: List[int] = []
    with pytest.raises(FileNotFoundError):
        write_deterministic_zip(members, destination, workers=2, progress=lambda done, total: seen.append(done))
    assert seen and max(seen) < 150  # it really was writing when it failed (in batches, so <= 150)
    assert destination.read_bytes() == b"previous archive bytes"
    assert list(destination.parent.glob(".layer-*")) == []


def test_interrupt_keeps_previous_archive(tmp_path: Path, members: List[ZipMember]) -> None:
    destination = tmp_path / "layer.zip"
    destination.write_bytes(b"old")

    def interrupt(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_deterministic_zip(members, destination, progress=interrupt)
    assert destination.read_bytes() == b"old"
    assert list(tmp_path.glob(".layer-*")) == []


def test_unreadable_member_keeps_previous_archive(tmp_path: Path, members: List[ZipMember]) -> None:
    destination = tmp_path / "layer.zip"
    destination.write_bytes(b"old")
    members[2].source.unlink()
    members[2].source.mkdir()  # replaced by a directory after staging: reading it fails, even as root
    with pytest.raises(OSError):
        write_deterministic_zip(members, destination)
    assert destination.read_bytes() == b"old"
    assert list(tmp_path.glob(".layer-*")) == []


def test_zip64_for_more_than_65535_entries(tmp_path: Path) -> None:
    count = 65_540
    source = tmp_path / "tiny.txt"
    source.write_bytes(b"x")
    members = [ZipMember(f"f/{i:05d}", source, False) for i in range(count)]
    destination = tmp_path / "many.zip"
    result = write_deterministic_zip(members, destination, compression_level=1)
    assert result.files == count

    data = destination.read_bytes()
    end = data[-22:]
    assert end[:4] == b"PK\x05\x06"
    assert struct.unpack("<H", end[10:12])[0] == 0xFFFF  # count moved to the ZIP64 end record
    locator = data[-42:-22]
    assert locator[:4] == b"PK\x06\x07"
    zip64_end_offset = struct.unpack("<Q", locator[8:16])[0]
    assert data[zip64_end_offset : zip64_end_offset + 4] == b"PK\x06\x06"
    assert struct.unpack("<QQ", data[zip64_end_offset + 24 : zip64_end_offset + 40]) == (count, count)

    with zipfile.ZipFile(destination) as archive:
        infos = archive.infolist()
        assert len(infos) == count
        assert infos[-1].filename == f"f/{count - 1:05d}"
        assert archive.read(infos[-1]) == b"x"
    if shutil.which("unzip"):
        subprocess.run(["unzip", "-tq", str(destination)], check=True, capture_output=True)


def test_no_zip64_records_below_limits(tmp_path: Path, members: List[ZipMember]) -> None:
    write_deterministic_zip(members, tmp_path / "out.zip")
    data = (tmp_path / "out.zip").read_bytes()
    assert b"PK\x06\x06" not in data and b"PK\x06\x07" not in data
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert all(info.extract_version == 20 for info in archive.infolist())


# -- exact values the mutation run asked for ---------------------------------------------------------

from shared_core.pack import zip_format as zf  # noqa: E402
from shared_core.pack import zip_writer as zw  # noqa: E402
from shared_core.support import deflate  # noqa: E402


def test_malformed_source_date_epoch_message(monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError) as error:
        reproducible_date_time()
    assert str(error.value) == (
        "SOURCE_DATE_EPOCH must be an integer number of seconds since 1970, got 'yesterday'. "
        "Set it to e.g. the last commit's time (`git log -1 --format=%ct`) or unset it."
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999")
    assert reproducible_date_time() == (2107, 12, 31, 23, 59, 58)


def test_compressor_id_names_the_backend_and_its_version() -> None:
    import importlib.metadata

    assert deflate.compressor_id("libdeflate") == f"libdeflate-{importlib.metadata.version('deflate')}"
    assert deflate.compressor_id("zlib") == f"zlib-{zlib.ZLIB_RUNTIME_VERSION}"


def test_default_level_is_9_and_level_1_still_compresses(tmp_path: Path, members: List[ZipMember]) -> None:
    default = write_deterministic_zip(members, tmp_path / "default.zip")
    nine = write_deterministic_zip(members, tmp_path / "nine.zip", compression_level=9)
    assert (tmp_path / "default.zip").read_bytes() == (tmp_path / "nine.zip").read_bytes()
    assert default.zipped_bytes == nine.zipped_bytes
    write_deterministic_zip(members, tmp_path / "one.zip", compression_level=1)
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        assert archive.getinfo("python/pkg/core.py").compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize("arcname", ["", "/abs/path.py", "python/dir/"])
def test_bad_archive_names_are_refused(tmp_path: Path, arcname: str) -> None:
    source = tmp_path / "f.py"
    source.write_text("x = 1\n")
    with pytest.raises(ValueError) as error:
        write_deterministic_zip([ZipMember(arcname, source, False)], tmp_path / "out.zip")
    assert str(error.value) == f"archive name {arcname!r} must be a relative posix path to a file"


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError) as error:
        deflate.raw_deflate("brotli", 9)
    assert str(error.value) == "unknown compression backend 'brotli'; expected 'libdeflate' or 'zlib'"


def test_replaced_zip_keeps_its_mode_and_a_new_one_is_0644(tmp_path: Path, members: List[ZipMember]) -> None:
    write_deterministic_zip(members, tmp_path / "new.zip")
    assert (tmp_path / "new.zip").stat().st_mode & 0o777 == 0o644
    (tmp_path / "kept.zip").write_bytes(b"old")
    os.chmod(tmp_path / "kept.zip", 0o640)
    write_deterministic_zip(members, tmp_path / "kept.zip")
    assert (tmp_path / "kept.zip").stat().st_mode & 0o777 == 0o640


def test_the_writer_replaces_a_symlink_without_writing_through_it(tmp_path: Path, members: List[ZipMember]) -> None:
    """The API writer's own rule (a build refuses a link at its output before it gets here): the link
    becomes a 0644 zip, and its target (a 0600 file) keeps its bytes and mode."""
    (tmp_path / "target.zip").write_bytes(b"someone else's")
    os.chmod(tmp_path / "target.zip", 0o600)
    (tmp_path / "link.zip").symlink_to(tmp_path / "target.zip")
    write_deterministic_zip(members, tmp_path / "link.zip")
    assert not (tmp_path / "link.zip").is_symlink() and (tmp_path / "link.zip").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "target.zip").read_bytes() == b"someone else's"
    assert (tmp_path / "target.zip").stat().st_mode & 0o777 == 0o600


def test_names_are_ascii_unless_they_need_utf8() -> None:
    assert zf.encode_name("python/a.py") == (b"python/a.py", 0)
    assert zf.encode_name("python/caf\u00e9.py") == ("python/caf\u00e9.py".encode("utf-8"), 0x0800)


def test_zip64_extra_field_bytes() -> None:
    assert zf._zip64_extra((1, 2)) == struct.pack("<HHQQ", 1, 16, 1, 2)
    assert zf._zip64_extra((7,)) == struct.pack("<HHQ", 1, 8, 7)


LIMIT = 0xFFFFFFFF


@pytest.mark.parametrize("size, zip64", [(LIMIT - 1, False), (LIMIT, True), (LIMIT + 5, True)])
def test_local_header_switches_to_zip64_at_the_32_bit_limit(size: int, zip64: bool) -> None:
    member = zf.Compressed(crc=0x1234, size=size, method=8, data=b"xy")
    header = zf.local_header(b"n", 0, member, (0x21, 0x5))
    assert header == struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, 0, 8, 0x5, 0x21, 0x1234,
                                 LIMIT if zip64 else 2, LIMIT if zip64 else size, 1, 20 if zip64 else 0) + b"n" + (
        zf._zip64_extra((size, 2)) if zip64 else b"")


@pytest.mark.parametrize("size, offset, overflowing", [
    (LIMIT - 1, LIMIT - 1, ()), (LIMIT, 5, (LIMIT,)), (5, LIMIT, (LIMIT,)), (LIMIT, LIMIT + 7, (LIMIT, LIMIT + 7)),
])
def test_central_header_moves_only_overflowing_values_to_zip64(size: int, offset: int, overflowing: tuple) -> None:
    entry = zf.CentralEntry(name=b"n", flags=0, method=8, crc=1, compressed_size=3, size=size, offset=offset,
                             external_attr=0o100644 << 16)
    header = zf.central_header(entry, (0x21, 0x0))
    fields = struct.unpack_from("<IHHHHHHIIIHHHHHII", header)
    assert fields[2] == (45 if overflowing else 20)
    assert (fields[8], fields[9], fields[16]) == (3, min(size, LIMIT), min(offset, LIMIT))
    assert fields[12:15] == (0, 0, 0)  # comment length, disk number start, internal attributes
    assert header[46 + 1:] == (zf._zip64_extra(overflowing) if overflowing else b"")


@pytest.mark.parametrize("entries, offset, size, zip64", [
    (0xFFFE, LIMIT - 1, LIMIT - 1, False), (0xFFFF, 1, 1, True), (1, LIMIT, 1, True), (1, 1, LIMIT, True),
])
def test_end_records_switch_to_zip64_at_each_limit(entries: int, offset: int, size: int, zip64: bool) -> None:
    records = zf.end_records(entries, offset, size)
    if not zip64:
        assert records == struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, size, offset, 0)
        return
    assert records[:56] == struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, (3 << 8) | 20, 45, 0, 0, entries, entries, size, offset)
    assert records[56:76] == struct.pack("<IIQI", 0x07064B50, 0, offset + size, 1)
    assert records[76:] == struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(entries, 0xFFFF), min(entries, 0xFFFF),
                                       min(size, LIMIT), min(offset, LIMIT), 0)


def test_the_level_reaches_libdeflate(tmp_path: Path) -> None:
    import random

    words = [bytes(random.Random(index).choices(b"abcdefghij", k=6)) for index in range(400)]
    text = b" ".join(random.Random(7).choice(words) for _ in range(40_000))
    (tmp_path / "text.txt").write_bytes(text)
    members = [ZipMember("python/text.txt", tmp_path / "text.txt", False)]
    fast = write_deterministic_zip(members, tmp_path / "one.zip", compression_level=1)
    best = write_deterministic_zip(members, tmp_path / "twelve.zip", compression_level=12)
    assert (fast.backend, best.backend) == ("libdeflate", "libdeflate")
    assert best.zipped_bytes < fast.zipped_bytes


def test_workers_must_be_positive(tmp_path: Path, members: List[ZipMember]) -> None:
    with pytest.raises(ValueError) as error:
        write_deterministic_zip(members, tmp_path / "out.zip", workers=0)
    assert str(error.value) == "workers must be at least 1, got 0"


def test_the_temporary_zip_is_written_beside_the_output(tmp_path: Path, members: List[ZipMember]) -> None:
    """Beside the output, not in the system's temp folder: only a rename within one folder (one
    filesystem) replaces the old zip atomically."""
    destination = tmp_path / "out" / "layer.zip"
    seen: List[List[str]] = []
    write_deterministic_zip(
        members, destination, progress=lambda done, total: seen.append(sorted(p.name for p in destination.parent.iterdir()))
    )
    [temporary] = seen[0]
    assert temporary.startswith(".layer-") and temporary.endswith(".zip.tmp")
    assert sorted(p.name for p in destination.parent.iterdir()) == ["layer.zip"]


def test_without_the_deflate_bindings_zlib_is_used(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "deflate", None)  # `import deflate` raises ImportError
    assert compression_backend() == "zlib"


#: Inputs whose raw DEFLATE at level 9 is exactly as long as they are (found by search): no smaller,
#: so the member must be stored, as zip tools do.
_EVEN = {"libdeflate": bytes.fromhex("d8935a75e844a88c9bf5ba0162c8dbd2f4e2f0616161616161"),
         "zlib": bytes.fromhex("f461616161")}


@pytest.mark.parametrize("backend", ["libdeflate", "zlib"])
def test_a_member_deflate_cannot_shrink_at_all_is_stored(tmp_path: Path, backend: str) -> None:
    data = _EVEN[backend]
    assert len(deflate.raw_deflate(backend, 9)(data)) == len(data)
    (tmp_path / "even.bin").write_bytes(data)
    write_deterministic_zip([ZipMember("even.bin", tmp_path / "even.bin", False)], tmp_path / "out.zip", _backend=backend)
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        info = archive.getinfo("even.bin")
        assert (info.compress_type, info.compress_size, archive.read(info)) == (zipfile.ZIP_STORED, len(data), data)


def test_small_files_travel_in_batches_and_a_big_file_alone(tmp_path: Path) -> None:
    """Tasks of up to 64 files or about 1 MiB; a file that cannot be read counts 0 (it fails later, in order)."""
    def sized(name: str, size: int) -> ZipMember:
        path = tmp_path / name
        with open(path, "wb") as handle:
            handle.truncate(size)  # sparse: only the size matters here
        return ZipMember(name, path, False)

    small = [sized(f"s{i:02d}", 10) for i in range(63)]
    missing = ZipMember("gone", tmp_path / "gone", False)
    pair = [sized("p1", zw._BATCH_BYTES - 10), sized("p2", 10)]
    big = sized("big", 2 * zw._BATCH_BYTES)
    tail = [sized(f"t{i}", 7) for i in range(3)]
    batches = list(zw._batches([*small, missing, *pair, big, *tail]))
    assert [(len(batch), size) for batch, size in batches] == [
        (64, 630), (2, zw._BATCH_BYTES), (1, 2 * zw._BATCH_BYTES), (3, 21)]
    assert [member for batch, _ in batches for member in batch] == [*small, missing, *pair, big, *tail]


@pytest.mark.parametrize("workers, cpu_count, bytes_ahead, tasks_ahead", [
    pytest.param(1, 8, 0, 4, id="at-least-4-tasks-per-worker"),
    pytest.param(2, 8, 0, 8, id="two-workers"),
    pytest.param(1, 8, 6 * 640, 6, id="up-to-the-byte-budget"),
    pytest.param(1, 8, 6 * 640 + 1, 7, id="one-byte-over-a-task"),
    pytest.param(None, 3, 0, 12, id="a-worker-per-cpu"),
    pytest.param(None, None, 0, 4, id="one-worker-when-the-cpu-count-is-unknown"),
])
def test_work_is_queued_ahead_within_its_budget(tmp_path: Path, monkeypatch, workers, cpu_count, bytes_ahead,
                                               tasks_ahead) -> None:
    """Memory stays bounded: while a member is written, only the next ``tasks_ahead`` tasks (64 files
    each here) have been handed to the pool, however many files the layer has."""
    tree = {f"python/m{i:04d}.py": (b"x = 12345\n", False) for i in range(20 * 64)}  # 20 tasks of 64 files, 640 B each
    members = make_tree(tmp_path / "tree", tree, list(tree))
    scheduled: List[Path] = []
    size_hint = zw._size_hint
    monkeypatch.setattr(zw, "_size_hint", lambda source: scheduled.append(source) or size_hint(source))
    monkeypatch.setattr(zw, "_BYTES_AHEAD", bytes_ahead)
    monkeypatch.setattr(os, "cpu_count", lambda: cpu_count)
    seen: List[int] = []
    result = write_deterministic_zip(members, tmp_path / "out.zip", workers=workers,
                                     progress=lambda done, total: seen.append(len(scheduled)))
    assert result.files == len(seen) == 20 * 64
    expected = [min(20 * 64, ((done - 1) // 64 + 1 + tasks_ahead) * 64) for done in range(1, 20 * 64 + 1)]
    assert seen == expected


@pytest.mark.parametrize("workers", [1, 2])
def test_compression_runs_on_the_named_workers_only(tmp_path: Path, monkeypatch, workers: int) -> None:
    tree = {f"python/m{i:03d}.py": (b"x = 1\n" * 50, False) for i in range(8 * 64)}
    members = make_tree(tmp_path / "tree", tree, list(tree))
    threads: List[str] = []
    compress_batch = zw._compress_batch

    def slow(*args):  # keeps each worker busy, so an unbounded pool would start more threads
        threads.append(threading.current_thread().name)
        time.sleep(0.01)
        return compress_batch(*args)

    monkeypatch.setattr(zw, "_compress_batch", slow)
    write_deterministic_zip(members, tmp_path / "out.zip", workers=workers)
    assert len(threads) == 8
    assert set(threads) == {f"zip-writer_{n}" for n in range(workers)}


@contextmanager
def lowered_limit(kind: int, soft: int) -> Iterator[None]:
    """A soft resource limit lowered for the block; the hard one stays, so it can be raised back."""
    previous, hard = resource.getrlimit(kind)
    resource.setrlimit(kind, (soft, hard))
    try:
        yield
    finally:
        resource.setrlimit(kind, (previous, hard))


def test_a_temporary_file_that_cannot_be_made_is_reported_as_the_zip(tmp_path: Path,
                                                                     members: List[ZipMember]) -> None:
    """No free file descriptor: the error names the zip the user asked for, not our temporary name."""
    destination = tmp_path / "out" / "layer.zip"
    destination.parent.mkdir()
    lowest_free = os.open(os.devnull, os.O_RDONLY)
    os.close(lowest_free)
    with lowered_limit(resource.RLIMIT_NOFILE, lowest_free), pytest.raises(OSError) as error:
        write_deterministic_zip(members, destination, workers=1)
    assert (error.value.errno, error.value.filename) == (errno.EMFILE, str(destination))
    assert list(destination.parent.iterdir()) == []


def test_a_write_that_fails_mid_way_is_reported_as_the_zip(tmp_path: Path) -> None:
    """A file size limit fails the write as a full disk does (EFBIG, no file name): name the zip."""
    tree = {f"python/m{i:03d}.py": (os.urandom(900), False) for i in range(40)}  # about 36 KB zipped
    members = make_tree(tmp_path / "tree", tree, list(tree))
    destination = tmp_path / "out" / "layer.zip"
    destination.parent.mkdir()
    destination.write_bytes(b"the previous layer")
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    try:
        with lowered_limit(resource.RLIMIT_FSIZE, 16 * 1024), pytest.raises(OSError) as error:
            write_deterministic_zip(members, destination, workers=1)
    finally:
        signal.signal(signal.SIGXFSZ, previous)
    assert (error.value.errno, error.value.filename) == (errno.EFBIG, str(destination))
    assert sorted(path.name for path in destination.parent.iterdir()) == ["layer.zip"]
    assert destination.read_bytes() == b"the previous layer"


def test_a_failed_clean_up_does_not_hide_why_the_write_failed(tmp_path: Path, members: List[ZipMember]) -> None:
    destination = tmp_path / "layer.zip"

    def fail(done: int, total: int) -> None:
        for temporary in tmp_path.glob(".layer-*.zip.tmp"):
            temporary.unlink()  # gone before the clean-up runs: removing it fails
        raise RuntimeError("the reason the build stopped")

    with pytest.raises(RuntimeError) as error:
        write_deterministic_zip(members, destination, progress=fail)
    assert str(error.value) == "the reason the build stopped"
    assert list(tmp_path.iterdir()) == [tmp_path / "tree"]


def test_an_archive_comment_is_written_and_a_layer_zip_has_none(tmp_path: Path, members: List[ZipMember]) -> None:
    plain = write_deterministic_zip(members, tmp_path / "layer.zip").path
    commented = write_deterministic_zip(members, tmp_path / "function.zip", comment=b"said once").path
    with zipfile.ZipFile(plain) as archive:
        assert archive.comment == b""
    with zipfile.ZipFile(commented) as archive:
        assert (archive.comment, archive.testzip()) == (b"said once", None)
    data = commented.read_bytes()
    assert data[:-len(b"said once")] == plain.read_bytes()[:-2] + (9).to_bytes(2, "little")
    with pytest.raises(ValueError, match=r"^a ZIP comment holds at most 65535 bytes, got 65536$"):
        zf.end_records(1, 0, 0, b"x" * 65536)
