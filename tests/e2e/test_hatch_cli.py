"""The full ``hatch build -t lambda-layer``: Hatch creates its ``hatch-build`` environment with uv and
installs lambda-layer-build from the target's ``dependencies`` — offline, from a find-links set of
our freshly built wheel, the seed wheels of its runtime dependencies and the test wheelhouse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from layer_assertions import dists, names

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Filled by the Makefile's set-up step (pip download of hatchling, uv, deflate, ... at the venv's versions).
SEED_WHEELS = Path(os.environ.get("LAMBDA_LAYER_SEED_WHEELS", REPO_ROOT / ".venv" / "seed-wheels"))
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


@pytest.fixture(scope="session")
def plugin_wheel(tmp_path_factory: pytest.TempPathFactory, offline_env: Dict[str, str]) -> Path:
    """lambda-layer-build's wheel, built from a fresh copy of this checkout (no cache serves an old build)."""
    source = tmp_path_factory.mktemp("plugin-source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, source / name)
    for package in ("shared_core", "hatch_lambda_layer", "poetry_lambda_layer"):
        shutil.copytree(REPO_ROOT / package, source / package, ignore=ignore)
    out = tmp_path_factory.mktemp("plugin-wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=source, env=offline_env, check=True, capture_output=True, timeout=120,
    )
    [wheel] = out.glob("lambda_layer_build-*.whl")
    return wheel


def test_hatch_build_and_clean_lambda_layer(offline_env, wheelhouse, plugin_wheel, tmp_path):
    if not any(SEED_WHEELS.glob("hatchling-*.whl")):
        pytest.fail(f"no seed wheels in {SEED_WHEELS}: run `make test` (its set-up step downloads hatchling, uv, "
                    "deflate, ... once) or set LAMBDA_LAYER_SEED_WHEELS")
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    env = dict(offline_env)
    env.update(
        UV_FIND_LINKS=",".join(str(path) for path in (plugin_wheel.parent, SEED_WHEELS, wheelhouse)),
        # older Hatch (the last for Python 3.9) sets up its build environment with pip
        PIP_FIND_LINKS=" ".join(str(path) for path in (plugin_wheel.parent, SEED_WHEELS, wheelhouse)),
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
    assert "Building Lambda layer for python3.12 arm64" in output and "Layer size: " in output
    assert output.rstrip().splitlines()[-1] == str(LAYER)

    # the builder ran from the wheel Hatch installed into hatch-build, not from this checkout
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
