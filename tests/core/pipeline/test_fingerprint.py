"""shared_core.pipeline.fingerprint: the record beside the zip, written atomically and read strictly."""

from __future__ import annotations

import errno
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
    assert json.loads(written.read_bytes()) == {
        "inputs": inputs_digest({"a": 1}),
        "sha256": ZIP_SHA256,
        "size": 22,
        "manifest": "0" * 64,
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
