"""shared_core.pipeline.remote_cache: the key holds what decides the bytes, and nothing of the machine's
place (paths, HOME); the two machine facts that do decide bytes (the compiling interpreter's X.Y.Z, the
compressor and its version) are in it."""

from __future__ import annotations

from pathlib import Path

from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.requirements_file import RequirementsFileSource
from shared_core.pipeline.layer_build import fingerprint_inputs
from shared_core.pipeline.remote_cache import cache_key
from shared_core.settings.layer import LayerConfig

TARGET = LambdaTarget("3.12", "arm64")


def key_of(root: Path, interpreter: str = "3.12.9", **settings: object) -> str:
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("six==1.16.0\n")
    inputs = fingerprint_inputs(RequirementsFileSource(root / "requirements.txt"), LayerConfig(**settings), "None", TARGET,
                                interpreter)
    return cache_key(inputs)


def test_the_key_is_the_same_anywhere_and_changes_with_what_decides_the_bytes(tmp_path, monkeypatch):
    here = key_of(tmp_path / "a" / "project")
    monkeypatch.setenv("HOME", str(tmp_path / "other-home"))
    assert key_of(tmp_path / "b" / "elsewhere") == here
    assert key_of(tmp_path / "c", interpreter="3.12.10") != here
    assert key_of(tmp_path / "d", compression_level=6) != here
    assert key_of(tmp_path / "e", cache="s3://another-bucket/x") == here  # where the cache is decides no byte
    monkeypatch.setattr("shared_core.pack.inputs.compressor_id", lambda backend: "zlib-0.0.1")
    assert key_of(tmp_path / "f") != here
