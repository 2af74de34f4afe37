"""Limits, defaults and determinism, through the console script on real installs.

Lambda's unzipped limit with and without ``allow-oversize`` (the Poetry flag and the Hatch target
key are in their adapters' test files; the exact boundary is in ``tests/core/pack/test_size_report.py``), the
size report's top ten, every default exclusion, and bytecode that does not depend on the hash
seed. A wrong hash is refused in ``test_install_errors.py``.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from shared_core.cli import main
from shared_core.lambda_runtime import LambdaTarget
from shared_core.support.toolchain import find_interpreter
from tests.helpers.layer_assertions import bytes_under, dists, member_sizes, names
from tests.helpers.wheelfactory import HUGE_BLOB_BYTES, SIZED_PAYLOADS

pytestmark = pytest.mark.in_process

LAYER = Path("build/lambda/layer/layer.zip")


def build(project: Path, *args: str) -> int:
    """For python3.12 (not the running Python: that may be a deprecated runtime, whose warning would
    join the output compared here), without bytecode (no interpreter needed)."""
    return main(["build", "--project", str(project), "--python", "3.12", "--no-compile", *args])


# -- Lambda's unzipped limit ---------------------------------------------------------------------


@pytest.fixture
def huge_project(make_project) -> Iterator[Path]:
    """A project whose one distribution unzips past Lambda's limit; its 250 MB are removed afterwards."""
    project = make_project(requirements__txt="fake-huge==1.0\n")
    yield project
    shutil.rmtree(project / "build", ignore_errors=True)


def _assert_huge_layer_written(project: Path) -> None:
    with zipfile.ZipFile(project / LAYER) as archive:
        assert archive.getinfo("python/fake_huge/blob.bin").file_size == HUGE_BLOB_BYTES


def test_over_the_unzipped_limit_is_refused_before_writing(core_env, huge_project, capsys):
    assert build(huge_project) == 1
    err = capsys.readouterr().err
    assert not (huge_project / LAYER).exists()
    # --allow-oversize writes it, without a word; what the refused layer would have held is measured on it
    assert build(huge_project, "--allow-oversize") == 0
    _assert_huge_layer_written(huge_project)
    assert capsys.readouterr().err == ""
    with zipfile.ZipFile(huge_project / LAYER) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    assert unzipped > HUGE_BLOB_BYTES
    assert err == (
        f"error: The layer unzips to {unzipped:,} bytes, {unzipped - 262_144_000:,} over Lambda's limit of 262,144,000 "
        "bytes for a function and all its layers; Lambda would reject it. On this layer, excluding fake-huge "
        f"(`exclude-packages`, --exclude fake-huge) saves {unzipped:,} bytes, leaving 0 (fits). Otherwise exclude other "
        "distributions with `exclude-packages` in [tool.lambda-layer], split the layer, or set `allow-oversize = true` "
        "(--allow-oversize) to write it anyway.\n"
    )


def test_allow_oversize_in_the_table_writes_it(core_env, huge_project, capsys):
    """(--allow-oversize is checked on the same layer just above.)"""
    (huge_project / "pyproject.toml").write_text("[tool.lambda-layer]\nallow-oversize = true\n")
    assert build(huge_project) == 0
    _assert_huge_layer_written(huge_project)
    assert capsys.readouterr().err == ""


# -- the size report ------------------------------------------------------------------------------


def test_size_report_shows_exactly_the_ten_largest(core_env, make_project, capsys):
    project = make_project(requirements__txt="".join(f"fake-size-{i:02d}==1.0\n" for i in range(1, len(SIZED_PAYLOADS) + 1)))
    assert build(project) == 0
    out = capsys.readouterr().out.splitlines()
    members = member_sizes(project / LAYER)
    sizes = {f"fake-size-{index:02d}": bytes_under(members, f"python/fake_size_{index:02d}/",
                                                   f"python/fake_size_{index:02d}-1.0.dist-info/")
             for index in range(1, len(SIZED_PAYLOADS) + 1)}
    assert sum(sizes.values()) == sum(members.values())
    table = out[out.index("Largest distributions (unzipped):") + 1:]
    expected = [f"  fake-size-{index:02d}  {sizes[f'fake-size-{index:02d}'] / 1024:>6.1f} KB" for index in range(12, 2, -1)]
    assert table[:10] == expected
    assert table[10].startswith("zip: ")


# -- default exclusions -----------------------------------------------------------------------------

DEFAULT_EXCLUDED = ("boto3==1.35.0", "botocore==1.35.0", "s3transfer==0.10.0", "urllib3==2.2.3", "setuptools==75.0.0",
                    "pip==24.0", "wheel==0.44.0", "twine==5.1.0", "pytest==8.3.0")


def test_every_default_exclusion_is_left_out_before_install(core_env, make_project, capsys):
    project = make_project(requirements__txt="".join(f"{pin}\n" for pin in (*DEFAULT_EXCLUDED, "fake-b==1.0")))
    assert build(project) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "target: python3.12 x86_64 (--python)"
    assert re.fullmatch(
        r"resolve: 1 pin from requirements\.txt for python3\.12 x86_64 \(manylinux, glibc 2\.34\); excluded before install: "
        r"boto3, botocore, pip, pytest, s3transfer, setuptools, twine, urllib3, wheel \(\d+\.\d\d s\)", out[1])
    assert dists(project / LAYER) == {"fake-b"}
    assert build(project, "--force", "--no-default-excludes") == 0
    assert dists(project / LAYER) == {"fake-b", *(pin.split("==")[0] for pin in DEFAULT_EXCLUDED)}


# -- bytecode independent of the hash seed ----------------------------------------------------------


def _python_with_hash_ordered_sets() -> str:
    """Python 3.9 and 3.10 marshal set constants in hash order (3.11+ sorts them): only they can show it."""
    for version in ("3.10", "3.9"):
        if find_interpreter(LambdaTarget.create(version, "x86_64")):
            return version
    pytest.fail("No Python 3.10 or 3.9 interpreter found (PATH, pyenv or `uv python find`): the hash-seed test needs "
                "one. Install one, e.g. `uv python install 3.10`.")


def test_bytecode_is_identical_under_any_hash_seed_with_a_cold_cache(core_env, make_project, monkeypatch, tmp_path):
    version = _python_with_hash_ordered_sets()
    layers = []
    for seed in ("1", "2"):
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / f"cache-{seed}"))
        project = make_project(requirements__txt="fake-sets==1.0\nfake-b==1.0\n", name=f"seed-{seed}")
        assert main(["build", "--project", str(project), "--python", version]) == 0
        layers.append(project / LAYER)
    nodot = version.replace(".", "")
    assert f"python/fake_sets/__pycache__/__init__.cpython-{nodot}.pyc" in names(layers[0])
    assert layers[0].read_bytes() == layers[1].read_bytes()
