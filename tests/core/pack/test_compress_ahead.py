"""shared_core.pack.compress_ahead: members compressed before the writer reaches them give the same zip,
and a stream is used only for the very file it was made from."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from shared_core.pack import compress_ahead as ca
from shared_core.pack.compress_ahead import AheadCompressor, LayerAheadCompression, predicted_members
from shared_core.pack.member_cache import MemberCache
from shared_core.pack.tree import walk_tree
from shared_core.pack.zip_format import DEFLATED, STORED
from shared_core.pack.zip_writer import ZipMember, compress_content, write_deterministic_zip
from shared_core.support.deflate import compression_backend, compressor_id, raw_deflate

BACKEND = compression_backend()
COMPRESS = raw_deflate(BACKEND, 9)
TEXT = b"".join(b"line %d of a module that compresses well\n" % (i % 50) for i in range(2000))  # 82 KB
NOISE = b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(2048))  # 64 KiB that deflate cannot shrink
#: The tree as uv installs it: two distributions, a script, a test suite, a RECORD and small files.
TREE: Dict[str, bytes] = {
    "pkg/__init__.py": b"from .core import VALUE\n",
    "pkg/core.py": TEXT,
    "pkg/blob.bin": NOISE,
    "pkg/tests/test_core.py": TEXT + b"# the suite\n",
    "pkg/testing/helpers.py": TEXT + b"# helpers, not a suite\n",
    "pkg-1.0.dist-info/METADATA": b"Name: pkg\nVersion: 1.0\n",
    "pkg-1.0.dist-info/RECORD": b"".join(b"%s,,\n" % name.encode() for name in (
        "pkg/__init__.py", "pkg/core.py", "pkg/blob.bin", "pkg/tests/test_core.py", "pkg/testing/helpers.py",
        "bin/pkg-cli", "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/RECORD")) + b"#" * 5000,
    "bin/pkg-cli": b"#!/usr/bin/python\n" + TEXT,
    "gone/__init__.py": TEXT + b"# excluded\n",
    "gone-2.0.dist-info/METADATA": b"Name: gone\nVersion: 2.0\n",
    "gone-2.0.dist-info/RECORD": b"gone/__init__.py,,\ngone-2.0.dist-info/METADATA,,\ngone-2.0.dist-info/RECORD,,\n",
}


def make_tree(root: Path, files: Dict[str, bytes]) -> Path:
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def members_of(root: Path) -> List[ZipMember]:
    return [ZipMember("python/" + staged.relpath, staged.source, staged.executable) for staged in walk_tree(root)]


def settle(compressor: AheadCompressor) -> None:
    """Wait until every task has run (so the writer claims them all, none cancelled)."""
    for future in list(compressor._futures.values()):
        future.result(30)


def ahead_threads() -> List[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("zip-ahead")]


@pytest.fixture
def compressor(tmp_path: Path):
    cache = MemberCache(tmp_path / "cache", compressor_id(BACKEND), 9)
    found = AheadCompressor(COMPRESS, cache, workers=2)
    yield found
    found.close()


def test_predicted_members_are_what_step_2_keeps(tmp_path):
    root = make_tree(tmp_path / "python", TREE)
    tree = walk_tree(root)
    with_drop = {staged.relpath for staged in predicted_members(tree, root, ["gone"], drop_package_tests=True)}
    assert with_drop == {
        "pkg/__init__.py", "pkg/core.py", "pkg/blob.bin", "pkg/testing/helpers.py",
        "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/RECORD",
    }
    without = {staged.relpath for staged in predicted_members(tree, root, [], drop_package_tests=False)}
    assert without == with_drop | {"pkg/tests/test_core.py", "gone/__init__.py", "gone-2.0.dist-info/METADATA",
                                   "gone-2.0.dist-info/RECORD"}


def test_the_observer_compresses_what_is_kept_and_big_enough_then_each_pyc(tmp_path, compressor):
    root = make_tree(tmp_path / "python", TREE)
    (root / "pkg/under.py").write_bytes(TEXT[:ca.AHEAD_MIN_SIZE - 1])  # kept, but left to the writer's batches
    observer = LayerAheadCompression(compressor, ["gone"], drop_package_tests=True)
    observer.installed(root)
    (root / "pkg/__pycache__").mkdir()
    (root / "pkg/__pycache__/core.cpython-312.pyc").write_bytes(TEXT)
    (root / "pkg/__pycache__/__init__.cpython-312.pyc").write_bytes(b"tiny")
    (root / "gone/__pycache__").mkdir()
    (root / "gone/__pycache__/__init__.cpython-312.pyc").write_bytes(TEXT)
    for relpath in ("pkg/__pycache__/core.cpython-312.pyc", "pkg/__pycache__/__init__.cpython-312.pyc",
                    "gone/__pycache__/__init__.cpython-312.pyc"):
        observer.compiled(root, relpath)
    # 64 KiB and over, not a RECORD (Step 2 rewrites those), not excluded, not slimmed, not a dropped suite
    assert sorted(compressor._futures) == [
        "pkg/__pycache__/core.cpython-312.pyc", "pkg/blob.bin", "pkg/core.py", "pkg/testing/helpers.py"]


def test_a_zip_from_streams_compressed_ahead_is_byte_identical(tmp_path, compressor):
    root = make_tree(tmp_path / "python", TREE)
    sequential = write_deterministic_zip(members_of(root), tmp_path / "sequential.zip")
    compressor.submit(root, walk_tree(root))
    settle(compressor)
    ahead = write_deterministic_zip(members_of(root), tmp_path / "ahead.zip", ahead=compressor.claim)
    assert (tmp_path / "ahead.zip").read_bytes() == (tmp_path / "sequential.zip").read_bytes()
    assert (sequential.ahead, ahead.ahead) == (0, len(TREE))
    with zipfile.ZipFile(tmp_path / "ahead.zip") as archive:
        methods = {info.filename: info.compress_type for info in archive.infolist()}
    # the exact rule, whoever compressed: stored when deflate does not make the bytes smaller
    assert (methods["python/pkg/blob.bin"], methods["python/pkg/core.py"]) == (STORED, DEFLATED)
    assert len(COMPRESS(NOISE)) >= len(NOISE) and len(COMPRESS(TEXT)) < len(TEXT)


@pytest.mark.parametrize("content", [NOISE, TEXT, NOISE[:4096], b"a" * 5000], ids=["noise", "text", "noise-4k", "run"])
def test_a_stream_compressed_ahead_is_the_writers_own(tmp_path, compressor, content):
    root = make_tree(tmp_path / "python", {"pkg/data": content})
    compressor.submit(root, walk_tree(root))
    settle(compressor)
    found = compressor.claim(root / "pkg/data")
    expected = compress_content(content, COMPRESS, None)
    assert found is not None and (found.crc, found.size, found.method, found.data) == (
        expected.crc, expected.size, expected.method, expected.data)
    assert found.method == (DEFLATED if len(COMPRESS(content)) < len(content) else STORED)
    assert compressor.claim(root / "pkg/data") is None  # each member is claimed once


def test_a_file_changed_after_it_was_read_is_compressed_again_by_the_writer(tmp_path, compressor):
    root = make_tree(tmp_path / "python", {"pkg/core.py": TEXT})
    compressor.submit(root, walk_tree(root))
    settle(compressor)
    assert compressor.digest(root / "pkg/core.py") == hashlib.sha256(TEXT).hexdigest()
    changed = TEXT.replace(b"line", b"LINE")  # same size
    (root / "pkg/core.py").write_bytes(changed)
    os.utime(root / "pkg/core.py", ns=(1, 1))
    assert compressor.digest(root / "pkg/core.py") is None
    result = write_deterministic_zip(members_of(root), tmp_path / "out.zip", ahead=compressor.claim)
    assert result.ahead == 0
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.read("python/pkg/core.py") == changed


def test_a_task_that_finds_its_file_moved_reads_it_where_it_is_now(tmp_path, monkeypatch):
    first, final = tmp_path / "staging/python", tmp_path / "artifacts/python"
    make_tree(first, {"pkg/core.py": TEXT})
    compressor = AheadCompressor(COMPRESS, None, workers=1)
    opened: List[Path] = []

    def moving_open(path, *args):  # Step 1 renames its staging folder just as the task opens the file
        if not opened:
            final.parent.mkdir()
            first.rename(final)
            compressor.moved(final)
        opened.append(Path(path))
        return open(path, *args)

    monkeypatch.setattr(ca, "open", moving_open, raising=False)
    try:
        compressor.submit(first, walk_tree(first))
        settle(compressor)
        assert opened == [first / "pkg/core.py", final / "pkg/core.py"]
        found = compressor.claim(final / "pkg/core.py")
        assert found is not None and found.data == COMPRESS(TEXT)
    finally:
        compressor.close()


def test_a_task_that_has_not_started_is_compressed_by_the_claimant_in_a_slot(tmp_path):
    root = make_tree(tmp_path / "python", {"pkg/a.py": TEXT, "pkg/b.py": TEXT + b"#"})
    gate = threading.Event()
    threads: List[str] = []
    compressor = AheadCompressor(lambda data: threads.append(threading.current_thread().name) or (gate.wait(10) and COMPRESS(data)),
                                 None, workers=1)
    claimed: Dict[str, object] = {}
    try:
        compressor.submit(root, walk_tree(root))  # b.py (bigger) holds the only worker and the only slot
        while not threads:
            time.sleep(0.01)
        claimant = threading.Thread(target=lambda: claimed.update(a=compressor.claim(root / "pkg/a.py")), name="writer")
        claimant.start()
        claimant.join(0.3)
        assert claimant.is_alive() and threads == ["zip-ahead_0"]  # a.py waits for the slot, not for the queue
        gate.set()
        claimant.join(10)
        assert threads == ["zip-ahead_0", "writer"]  # a.py's task was cancelled: compressed in the claimant's thread
        found = claimed["a"]
        assert (found.data, found.method, found.ahead) == (COMPRESS(TEXT), DEFLATED, False)
        assert compressor.claim(root / "pkg/b.py").ahead is True
    finally:
        gate.set()
        compressor.close()


def test_no_more_compressions_at_once_than_slots_and_none_while_the_compiler_takes_every_core(tmp_path):
    root = make_tree(tmp_path / "python", {f"pkg/m{i}.py": TEXT + b"#" * i for i in range(8)})
    running, most, lock = [0], [0], threading.Lock()

    def compress(data: bytes) -> bytes:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return COMPRESS(data)

    compressor = AheadCompressor(compress, None, workers=3)
    observer = LayerAheadCompression(compressor, [], False)
    try:
        observer.compiling(2)  # the compiler's two processes: one slot left of three
        assert compressor.slots.size == 1
        compressor.submit(root, walk_tree(root)[:4])
        settle(compressor)
        assert most[0] == 1
        observer.compiling(3)  # as many processes as cores: nothing is compressed until they finish
        assert compressor.slots.size == 0
        later = walk_tree(root)[4:]
        compressor.submit(root, later)
        time.sleep(0.2)
        assert [compressor._futures[staged.relpath].done() for staged in later] == [False] * 4 and running[0] == 0
        observer.staged(root)  # compiled: every core again
        assert compressor.slots.size == 3
        settle(compressor)
        assert most[0] == 3
    finally:
        compressor.close()


def test_close_cancels_what_waits_and_leaves_no_thread(tmp_path):
    root = make_tree(tmp_path / "python", {f"pkg/m{i}.py": TEXT + b"#" * i for i in range(6)})
    gate = threading.Event()
    calls: List[int] = []
    compressor = AheadCompressor(lambda data: calls.append(1) or (gate.wait(10) and COMPRESS(data)), None, workers=2)
    compressor.submit(root, walk_tree(root))
    while len(calls) < 2:
        time.sleep(0.01)
    threading.Timer(0.2, gate.set).start()
    compressor.close()
    assert len(calls) == 2  # the two running ones finished; the four waiting never ran
    assert ahead_threads() == []
    compressor.submit(root, walk_tree(root))  # after close: nothing
    assert compressor.claim(root / "pkg/m0.py") is None


def test_close_while_the_compiler_holds_every_core_waits_for_no_slot(tmp_path):
    root = make_tree(tmp_path / "python", {f"pkg/m{i}.py": TEXT + b"#" * i for i in range(4)})
    compressor = AheadCompressor(COMPRESS, None, workers=2)
    LayerAheadCompression(compressor, [], False).compiling(2)  # Step 1 fails while compiling
    compressor.submit(root, walk_tree(root))
    time.sleep(0.1)
    closing = threading.Thread(target=compressor.close)
    closing.start()
    closing.join(10)
    assert not closing.is_alive() and ahead_threads() == []


def test_the_budget_bounds_what_is_compressed_ahead(tmp_path):
    root = make_tree(tmp_path / "python", {"pkg/a.py": TEXT, "pkg/b.py": TEXT + b"#", "pkg/c.py": TEXT + b"##"})
    compressor = AheadCompressor(COMPRESS, None, workers=1, budget=2 * len(TEXT) + 3)
    try:
        compressor.submit(root, walk_tree(root))
        assert sorted(compressor._futures) == ["pkg/b.py", "pkg/c.py"]  # biggest first, until the budget is spent
    finally:
        compressor.close()


def test_level_zero_compresses_nothing_ahead():
    assert ca.ahead_compression(0, [], False) is None
