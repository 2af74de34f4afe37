"""shared_core.publish.snapshot: a publish takes a private, hashed copy of exactly the zip its build recorded."""

from __future__ import annotations

import pytest


def test_a_snapshot_is_a_private_hashed_copy_and_refuses_a_zip_its_build_did_not_record(tmp_path, monkeypatch):
    import base64
    import hashlib
    import tempfile

    from shared_core.errors import PublishError
    from shared_core.pipeline.fingerprint import read_fingerprint, recorded_sha256, write_fingerprint
    from shared_core.publish.snapshot import take_snapshot

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    layer = tmp_path / "layer.zip"
    data = b"PK\x05\x06" + bytes(18) + b"x" * (3 << 20)  # more than one 1 MiB chunk
    layer.write_bytes(data)
    write_fingerprint(layer, {"a": 1}, hashlib.sha256(data).hexdigest(), "0" * 64)
    snapshot = take_snapshot(layer, recorded_sha256(layer), read_fingerprint(layer))
    assert snapshot.path.read_bytes() == data and snapshot.path.name == "layer.zip"
    assert snapshot.path.parent.parent == tmp_path / "tmp" and snapshot.path.parent.name.startswith("lambda-layer-publish-")
    assert oct(snapshot.path.parent.stat().st_mode & 0o777) == "0o700"
    assert (snapshot.source, snapshot.size, snapshot.sha256_hex, snapshot.code_sha256, snapshot.fingerprint) == (
        layer, len(data), hashlib.sha256(data).hexdigest(), base64.b64encode(hashlib.sha256(data).digest()).decode(),
        hashlib.sha256(b'{"a": 1}').hexdigest())
    snapshot.remove()
    assert list((tmp_path / "tmp").iterdir()) == []

    layer.write_bytes(data + b"edited")
    with pytest.raises(PublishError, match=r"is not the zip its build recorded"):
        take_snapshot(layer, recorded_sha256(layer), read_fingerprint(layer))
    assert list((tmp_path / "tmp").iterdir()) == []
