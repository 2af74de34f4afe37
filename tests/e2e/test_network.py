"""The one test that talks to PyPI: a real arm64 / Python 3.12 layer with pydantic-core.

Runs when LAMBDA_LAYER_NETWORK_TESTS=1 (CI sets it; PyPI is reachable there).
"""

from __future__ import annotations

import os
import zipfile

import pytest

from shared_core.cli import main

pytestmark = [pytest.mark.network, pytest.mark.in_process]


@pytest.mark.skipif(os.environ.get("LAMBDA_LAYER_NETWORK_TESTS") != "1", reason="set LAMBDA_LAYER_NETWORK_TESTS=1 to use PyPI")
def test_real_pydantic_core_layer_for_arm64_312(make_project, monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith(("UV_", "PIP_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    project = make_project(requirements__txt="pydantic-core==2.27.2\ntyping-extensions==4.12.2\n")
    assert main(["build", "--project", str(project), "--python", "3.12", "--arch", "arm64", "--no-compile"]) == 0
    with zipfile.ZipFile(project / "build/lambda/layer/layer.zip") as archive:
        shared_objects = [name for name in archive.namelist() if name.endswith(".so")]
        assert shared_objects == ["python/pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"]
        header = archive.read(shared_objects[0])[:20]
        wheel = archive.read("python/pydantic_core-2.27.2.dist-info/WHEEL").decode()
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64
    assert "cp312-cp312-manylinux_2_17_aarch64" in wheel
