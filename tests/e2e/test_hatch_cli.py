"""The full ``hatch build -t lambda-layer``: Hatch creates its ``hatch-build`` environment with uv and
installs lambda-layer-build from the target's ``dependencies`` — offline, from a find-links set of
our freshly built wheel, the seed wheels of its runtime dependencies and the test wheelhouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.layer_assertions import dists, names

pytestmark = pytest.mark.subprocess

LAYER = Path("build/lambda/layer/layer.zip")

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo-hatch"
version = "0.2.0"
dependencies = ["fake-a", "requests", "boto3", "fake-native"]

[project.optional-dependencies]
speed = ["fake-with-extra[speed]"]

[tool.lambda-layer]
exclude-packages = ["fake-c"]

[tool.hatch.build.targets.lambda-layer]
dependencies = ["lambda-layer-build"]
extras = ["speed"]
architecture = "arm64"
python-version = "3.12"
"""


def test_hatch_build_and_clean_lambda_layer(offline_env, wheelhouse, plugin_wheel, seed_wheels, tmp_path):
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    env = dict(offline_env)
    env.update(
        UV_FIND_LINKS=",".join(str(path) for path in (plugin_wheel.parent, seed_wheels, wheelhouse)),
        # older Hatch (the last for Python 3.9) sets up its build environment with pip
        PIP_FIND_LINKS=" ".join(str(path) for path in (plugin_wheel.parent, seed_wheels, wheelhouse)),
        # a fresh hatch-build environment and uv cache for this test alone
        HATCH_DATA_DIR=str(tmp_path / "hatch-data"),
        HATCH_CACHE_DIR=str(tmp_path / "hatch-cache"),
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
    )
    completed = subprocess.run(
        [sys.executable, "-m", "hatch", "build", "-t", "lambda-layer"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Traceback" not in output
    assert "\ntarget: python3.12 arm64 (python-version from [tool.hatch.build.targets.lambda-layer])\n" in output
    assert "Layer size: " in output
    assert output.rstrip().splitlines()[-1] == str(LAYER)

    # Hatch made its own build environment, and the builder ran from the wheel it installed there,
    # not from this checkout
    installed = list((tmp_path / "hatch-data").rglob("site-packages/hatch_lambda_layer/builder.py"))
    assert len(installed) == 1

    layer = root / LAYER
    assert dists(layer) == {"fake-a", "fake-b", "requests", "fake-native", "fake-with-extra", "fake-extra-dep"}
    assert "python/fake_native/_speedups.cpython-312-aarch64-linux-gnu.so" in names(layer)

    (root / "build/other.txt").write_text("keep")
    completed = subprocess.run(
        [sys.executable, "-m", "hatch", "clean", "-t", "lambda-layer"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not (root / "build/lambda").exists() and (root / "build/other.txt").read_text() == "keep"
