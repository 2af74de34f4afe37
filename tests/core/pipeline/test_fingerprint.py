"""shared_core.pipeline.fingerprint: the record beside the zip, written atomically and read strictly."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest

ZIP = b"PK\x05\x06" + bytes(18)  # an empty zip: its end record only
ZIP_SHA256 = "8739c76e681f900923b900c9df0ef75cf421d39cabb54650c4b9ad19b6a76d85"


def _manifest(layer: Path) -> str:
    """A manifest beside ``layer`` (the record holds its digest); returns that digest."""
    import hashlib

    data = b'{"kind": "layer", "manifest": 1}\n'
    layer.with_name(layer.name + ".json").write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_inputs_digest_ignores_key_order_and_stringifies_paths():
    from shared_core.pipeline.fingerprint import inputs_digest

    assert inputs_digest({"a": 1, "b": [2, 3]}) == inputs_digest({"b": [2, 3], "a": 1})
    assert inputs_digest({"lock": Path("poetry.lock")}) == inputs_digest({"lock": "poetry.lock"})
    assert inputs_digest({"a": 1}) != inputs_digest({"a": 2})


@pytest.mark.parametrize("text", ["[1]", '{"size": 22}', "{not json", ""])
def test_anything_but_our_record_is_no_record(tmp_path, text):
    import hashlib

    from shared_core.pipeline.fingerprint import (
        fingerprint_path,
        is_up_to_date,
        read_fingerprint,
        recorded_sha256,
        write_fingerprint,
    )

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)
    assert (read_fingerprint(layer), recorded_sha256(layer), is_up_to_date(layer, {"a": 1})) == (None, None, False)
    write_fingerprint(layer, {"a": 1}, ZIP_SHA256, _manifest(layer))
    assert read_fingerprint(layer) == hashlib.sha256(b'{"a": 1}').hexdigest()
    assert recorded_sha256(layer) == hashlib.sha256(ZIP).hexdigest()
    assert is_up_to_date(layer, {"a": 1}) is True
    fingerprint_path(layer).write_text(text)
    assert (read_fingerprint(layer), recorded_sha256(layer), is_up_to_date(layer, {"a": 1})) == (None, None, False)


def test_fingerprint_is_written_atomically_and_cleans_up_after_a_failure(tmp_path):
    from shared_core.pipeline.fingerprint import fingerprint_path, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)
    assert fingerprint_path(layer) == tmp_path / "layer.zip.fingerprint.json"
    fingerprint_path(layer).mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(IsADirectoryError):
        write_fingerprint(layer, {"a": 1}, ZIP_SHA256, "0" * 64)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["layer.zip", "layer.zip.fingerprint.json"]


def test_fingerprint_is_readable_by_the_team_whatever_the_umask(tmp_path):
    from shared_core.pipeline.fingerprint import fingerprint_path, inputs_digest, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)
    previous = os.umask(0o077)
    try:
        write_fingerprint(layer, {"a": 1}, ZIP_SHA256, "0" * 64)
    finally:
        os.umask(previous)
    written = fingerprint_path(layer)
    assert written.stat().st_mode & 0o777 == 0o644
    info = os.lstat(layer)
    assert json.loads(written.read_bytes()) == {
        "inputs": inputs_digest({"a": 1}),
        "sha256": ZIP_SHA256,
        "size": 22,
        "manifest": "0" * 64,
        "state": [info.st_dev, info.st_ino, 22, info.st_mtime_ns, info.st_ctime_ns],
    }


def test_a_failed_clean_up_of_the_fingerprint_does_not_hide_why_it_failed(tmp_path, monkeypatch):
    from shared_core.pipeline.fingerprint import write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)

    def replace(source, target):
        os.unlink(source)  # gone before the clean-up runs: removing it fails
        raise PermissionError(errno.EACCES, "Permission denied", str(target))

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError) as error:
        write_fingerprint(layer, {"a": 1}, ZIP_SHA256, "0" * 64)
    assert error.value.filename == str(tmp_path / "layer.zip.fingerprint.json")
    assert list(tmp_path.iterdir()) == [layer]


def test_a_missing_or_edited_manifest_is_not_up_to_date(tmp_path):
    from shared_core.pipeline.fingerprint import is_up_to_date, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)
    write_fingerprint(layer, {"a": 1}, ZIP_SHA256, _manifest(layer))
    assert is_up_to_date(layer, {"a": 1}) is True
    manifest = tmp_path / "layer.zip.json"
    manifest.write_bytes(manifest.read_bytes() + b" ")
    assert is_up_to_date(layer, {"a": 1}) is False
    manifest.unlink()
    assert is_up_to_date(layer, {"a": 1}) is False


def _rewrite_record(layer: Path, record_mtime_ns: int, **changes: object) -> None:
    """Edit the record beside ``layer`` (as only a test would) and set the time it says it was written."""
    from shared_core.pipeline.fingerprint import fingerprint_path

    record = fingerprint_path(layer)
    record.write_text(json.dumps({**json.loads(record.read_text()), **changes}))
    os.utime(record, ns=(record_mtime_ns, record_mtime_ns))


def test_a_zip_not_written_since_its_record_is_not_hashed_again(tmp_path):
    """Its state as recorded and a change time older than the record: the recorded sha256 is not consulted
    (here it is garbage, and the zip still counts as the recorded one)."""
    from shared_core.pipeline.fingerprint import is_up_to_date, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)
    write_fingerprint(layer, {"a": 1}, ZIP_SHA256, _manifest(layer))
    _rewrite_record(layer, os.lstat(layer).st_ctime_ns + 1, sha256="0" * 64)
    assert is_up_to_date(layer, {"a": 1}) is True


def test_a_zip_written_in_the_records_tick_is_hashed(tmp_path):
    """The state matches, but the zip changed no earlier than the record was written (a coarse clock could
    hide a write): the sha256 decides, and other bytes of the same size are not up to date."""
    from shared_core.pipeline.fingerprint import is_up_to_date, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)
    write_fingerprint(layer, {"a": 1}, ZIP_SHA256, _manifest(layer))
    layer.write_bytes(ZIP[:-1] + b"\x01")  # another zip comment length byte: other bytes, the same size
    info = os.lstat(layer)
    state = [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
    _rewrite_record(layer, info.st_ctime_ns, state=state)  # recorded as if after the write, in its tick
    assert is_up_to_date(layer, {"a": 1}) is False
    _rewrite_record(layer, info.st_ctime_ns, sha256=hashlib.sha256(layer.read_bytes()).hexdigest())
    assert is_up_to_date(layer, {"a": 1}) is True  # hashed: these are the recorded bytes


def test_a_zip_written_after_its_record_is_hashed(tmp_path):
    """Rewritten in place, same size, its modification time put back: the change time moved, so it is hashed."""
    from shared_core.pipeline.fingerprint import is_up_to_date, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)
    write_fingerprint(layer, {"a": 1}, ZIP_SHA256, _manifest(layer))
    before = os.lstat(layer)
    with open(layer, "r+b") as handle:
        handle.seek(len(ZIP) - 1)
        handle.write(b"\x01")
    os.utime(layer, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert is_up_to_date(layer, {"a": 1}) is False


def test_a_zip_of_another_size_is_not_up_to_date(tmp_path):
    from shared_core.pipeline.fingerprint import is_up_to_date, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(ZIP)
    write_fingerprint(layer, {"a": 1}, ZIP_SHA256, _manifest(layer))
    with open(layer, "ab") as handle:
        handle.write(b"\0")
    assert is_up_to_date(layer, {"a": 1}) is False


def test_a_zip_whose_state_cannot_be_read_is_not_vouched_for(tmp_path):
    """Gone between the record's reading and its state's (a race): not the recorded file."""
    from shared_core.pipeline.fingerprint import _unchanged_since_recorded

    assert _unchanged_since_recorded(tmp_path / "gone.zip", {"state": [0, 0, 0, 0, 0]}) is False


def test_a_record_an_earlier_version_wrote_is_ours(tmp_path):
    """Exactly the keys every record has held (no manifest digest, no file state): still ours to replace."""
    from shared_core.pipeline.fingerprint import is_own_record

    record = tmp_path / "layer.zip.fingerprint.json"
    record.write_text('{"inputs": "0", "sha256": "0", "size": 1}')
    assert is_own_record(record) is True
    record.write_text('{"inputs": "0", "sha256": "0"}')
    assert is_own_record(record) is False
