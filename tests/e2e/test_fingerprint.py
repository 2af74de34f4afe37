"""The up-to-date check: every input that changes the zip's bytes forces a rebuild, and the rebuilt
zip differs exactly where that input says; an unchanged project is not rebuilt; an edited zip is.

One baseline build per module; each case copies it (zip, fingerprint and staging included, so
the copy is "up to date" where it lands), changes one input and builds again through the
console script.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from shared_core.cli import main
from shared_core.support.toolchain import find_uv
from tests.helpers.layer_assertions import dists
from tests.helpers.wheelfactory import wheel_sha256

pytestmark = pytest.mark.in_process

LAYER = Path("build/lambda/layer/layer.zip")
REQUIREMENTS = "fake-a==1.0\nfake-b==1.0\nfake-native==1.0\nboto3==1.35.0\nbotocore==1.35.0\n"
#: The baseline's target: a runtime AWS has not deprecated (a deprecated one's warning would join the
#: output compared here), with an interpreter on this machine for its bytecode; OTHER is the second.
RUNNING = "3.12"
OTHER = "3.13"
BASE_ARGS = ["--python", RUNNING, "--arch", "x86_64"]
TARGET_LINE = re.compile(r"target: python3\.1[23] (x86_64|arm64) \(--python\)\n")


def after_target(out: str) -> str:
    """``out`` without its first line, which must say the target chosen on the command line."""
    said = TARGET_LINE.match(out)
    assert said, out
    return out[said.end():]


def build(project: Path, *args: str) -> int:
    """Build with the base target, or with the --python/--arch that ``args`` gives instead (a repeated
    --python would ask for two targets)."""
    base = [item for flag, value in zip(BASE_ARGS[::2], BASE_ARGS[1::2]) if flag not in args for item in (flag, value)]
    return main(["build", "--project", str(project), *base, *args])


def infos(layer: Path) -> Dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(layer) as archive:
        return {info.filename: info for info in archive.infolist()}


def contents(layer: Path) -> Dict[str, bytes]:
    with zipfile.ZipFile(layer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def so_name(python: str, machine: str) -> str:
    return f"python/fake_native/_speedups.cpython-{python.replace('.', '')}-{machine}-linux-gnu.so"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, offline_env: Dict[str, str]) -> Path:
    root = tmp_path_factory.mktemp("fingerprint") / "baseline"
    root.mkdir()
    (root / "requirements.txt").write_text(REQUIREMENTS)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in offline_env.items():
            patch.setenv(key, value)
        assert build(root) == 0
    return root


@pytest.fixture
def copy(baseline: Path, tmp_path: Path, core_env) -> Path:
    return Path(shutil.copytree(baseline, tmp_path / "project", symlinks=True))


def test_the_record_beside_the_zip(copy):
    """``layer.zip.fingerprint.json``: the inputs' digest, the zip's sha256 and size, the manifest's sha256, the zip
    file's state (device, inode, size, modification and change times), stable text."""
    assert build(copy, "--force") == 0  # written by this test, not only by the module's baseline
    record = (copy / "build/lambda/layer/layer.zip.fingerprint.json").read_text(encoding="utf-8")
    data = (copy / LAYER).read_bytes()
    manifest = (copy / "build/lambda/layer/layer.zip.json").read_bytes()
    info = os.lstat(copy / LAYER)
    state = ",".join(f"\n    {value}" for value in (info.st_dev, info.st_ino, len(data), info.st_mtime_ns, info.st_ctime_ns))
    assert re.fullmatch(
        '{\n  "inputs": "[0-9a-f]{64}",\n  "sha256": "%s",\n  "size": %d,\n  "manifest": "%s",\n  "state": \\[%s\n  \\]\n}'
        % (hashlib.sha256(data).hexdigest(), len(data), hashlib.sha256(manifest).hexdigest(), state), record)


def test_unchanged_inputs_are_up_to_date(copy, capsys):
    assert build(copy, "--force") == 0  # the record this test relies on is written in the test itself
    before = (copy / LAYER).read_bytes()
    capsys.readouterr()
    assert build(copy) == 0
    layer = (copy / LAYER).resolve()
    assert capsys.readouterr().out == f"target: python{RUNNING} x86_64 (--python)\nLayer is up to date (inputs unchanged; --force rebuilds).\n{layer}\n"
    assert (copy / LAYER).read_bytes() == before


def _same_members(before: Path, after: Path) -> None:
    assert contents(after) == contents(before)


def _dates(layer: Path) -> set:
    return {info.date_time for info in infos(layer).values()}


def _source_date_epoch(before: Path, after: Path) -> None:
    assert _dates(before) == {(1980, 1, 1, 0, 0, 0)}
    assert _dates(after) == {(2023, 11, 14, 22, 13, 20)}  # 1700000000, UTC
    assert contents(after) == contents(before)


def _python(before: Path, after: Path) -> None:
    assert so_name(RUNNING, "x86_64") in infos(before) and so_name(RUNNING, "x86_64") not in infos(after)
    assert so_name(OTHER, "x86_64") in infos(after)


def _arch(before: Path, after: Path) -> None:
    assert so_name(RUNNING, "x86_64") in infos(before) and so_name(RUNNING, "aarch64") in infos(after)
    assert so_name(RUNNING, "x86_64") not in infos(after)


def _installer(before: Path, after: Path) -> None:
    assert contents(before)["python/fake_a-1.0.dist-info/INSTALLER"] == b"uv"
    assert contents(after)["python/fake_a-1.0.dist-info/INSTALLER"] == b"pip\n"


def _pycs(layer: Path) -> List[str]:
    return sorted(name.split("/__pycache__/")[0] for name in infos(layer) if name.endswith(".pyc"))


def _no_compile(before: Path, after: Path) -> None:
    assert _pycs(before) == ["python/fake_a", "python/fake_b", "python/fake_native"]
    assert _pycs(after) == []


def _stored(before: Path, after: Path) -> None:
    assert zipfile.ZIP_DEFLATED in {info.compress_type for info in infos(before).values()}
    assert {info.compress_type for info in infos(after).values()} == {zipfile.ZIP_STORED}
    assert contents(after) == contents(before)


def _without_fake_b(before: Path, after: Path) -> None:
    assert dists(before) == {"fake-a", "fake-b", "fake-native"}
    assert dists(after) == {"fake-a", "fake-native"}


def _with_runtime_provided(before: Path, after: Path) -> None:
    assert dists(after) == {"fake-a", "fake-b", "fake-native", "boto3", "botocore"}


def _with_six(before: Path, after: Path) -> None:
    assert dists(after) == {"fake-a", "fake-b", "fake-native", "six"}


def _set_table(key_value: str) -> Callable[[Path, pytest.MonkeyPatch], List[str]]:
    def change(project: Path, monkeypatch: pytest.MonkeyPatch) -> List[str]:
        (project / "pyproject.toml").write_text(f"[tool.lambda-layer]\n{key_value}\n")
        return []
    return change


def _args(*args: str) -> Callable[[Path, pytest.MonkeyPatch], List[str]]:
    return lambda project, monkeypatch: list(args)


def _epoch(project: Path, monkeypatch: pytest.MonkeyPatch) -> List[str]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return []


def _add_six(project: Path, monkeypatch: pytest.MonkeyPatch) -> List[str]:
    (project / "requirements.txt").write_text(REQUIREMENTS + "six==1.16.0\n")
    return []


@pytest.mark.parametrize("change, check", [
    pytest.param(_epoch, _source_date_epoch, id="SOURCE_DATE_EPOCH"),
    pytest.param(_args("--python", OTHER), _python, id="python-version"),
    pytest.param(_args("--arch", "arm64"), _arch, id="architecture"),
    pytest.param(_args("--installer", "pip"), _installer, id="installer"),
    pytest.param(_args("--no-compile"), _no_compile, id="compile-bytecode"),
    pytest.param(_args("--compression-level", "0"), _stored, id="compression-level"),
    pytest.param(_args("--exclude", "fake-b"), _without_fake_b, id="exclude"),
    pytest.param(_args("--no-default-excludes"), _with_runtime_provided, id="default-excludes"),
    pytest.param(_add_six, _with_six, id="requirements-content"),
    # Same bytes, but a different decision: the installer may build fake-a from an sdist (it has a
    # wheel, so it does not); turning allow-oversize or allow-invalid-python off must re-check.
    pytest.param(_set_table('allow-sdist = ["fake-a"]'), _same_members, id="allow-sdist"),
    pytest.param(_args("--allow-oversize"), _same_members, id="allow-oversize"),
    pytest.param(_args("--allow-invalid-python"), _same_members, id="allow-invalid-python"),
])
def test_each_input_forces_a_rebuild_that_shows_in_the_zip(copy, tmp_path, capsys, monkeypatch, change, check):
    before = tmp_path / "before.zip"
    shutil.copyfile(copy / LAYER, before)
    args = change(copy, monkeypatch)
    capsys.readouterr()
    assert build(copy, *args) == 0
    out = after_target(capsys.readouterr().out)
    assert out.startswith("resolve: ") and "up to date" not in out
    check(before, copy / LAYER)


def test_a_same_size_edit_of_the_zip_is_rebuilt(copy, capsys):
    layer = copy / LAYER
    original = layer.read_bytes()
    edited = bytearray(original)
    edited[100] ^= 0xFF
    layer.write_bytes(bytes(edited))
    capsys.readouterr()
    assert build(copy) == 0
    assert after_target(capsys.readouterr().out).startswith("resolve: ")
    assert layer.read_bytes() == original


# -- lock content with pyproject.toml unchanged ----------------------------------------------------

PROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["fake-versioned"]
"""


@pytest.fixture(scope="module")
def uv_project(tmp_path_factory, offline_env) -> Path:
    root = tmp_path_factory.mktemp("uv-versioned")
    (root / "pyproject.toml").write_text(PROJECT + "[tool.uv]\npackage = false\n")
    subprocess.run([find_uv(), "lock", "--quiet"], cwd=root, env=offline_env, check=True, timeout=60)
    return root


@pytest.fixture(scope="module")
def poetry_project(tmp_path_factory, offline_env, index_url) -> Path:
    root = tmp_path_factory.mktemp("poetry-versioned")
    (root / "pyproject.toml").write_text(
        PROJECT + f'[tool.poetry]\npackage-mode = false\n[[tool.poetry.source]]\nname = "fixture"\nurl = "{index_url}"\n'
        'priority = "primary"\n'
    )
    subprocess.run([sys.executable, "-m", "poetry", "lock"], cwd=root, env=offline_env, check=True, capture_output=True,
                   timeout=120)
    return root


def test_uv_lock_moved_to_another_release_is_rebuilt(uv_project, tmp_path, core_env, capsys):
    project = Path(shutil.copytree(uv_project, tmp_path / "uv"))
    assert build(project, "--no-compile") == 0
    assert "python/fake_versioned-2.0.dist-info/METADATA" in infos(project / LAYER)
    pyproject = (project / "pyproject.toml").read_bytes()
    subprocess.run([find_uv(), "lock", "--quiet", "--upgrade-package", "fake-versioned==1.0"], cwd=project, env=core_env,
                   check=True, timeout=60)
    assert (project / "pyproject.toml").read_bytes() == pyproject
    capsys.readouterr()
    assert build(project, "--no-compile") == 0
    assert after_target(capsys.readouterr().out).startswith("resolve: 1 pin from uv.lock")
    assert contents(project / LAYER)["python/fake_versioned/__init__.py"] == b"VERSION = 1\n"


def test_poetry_lock_moved_to_another_release_is_rebuilt(poetry_project, wheelhouse, tmp_path, core_env, monkeypatch, capsys):
    monkeypatch.delenv("UV_OFFLINE")  # installs come from the lock's source, the loopback index
    project = Path(shutil.copytree(poetry_project, tmp_path / "poetry"))
    assert build(project, "--no-compile") == 0
    assert contents(project / LAYER)["python/fake_versioned/__init__.py"] == b"VERSION = 2\n"
    lock = project / "poetry.lock"
    # What `poetry lock` writes when 2.0 is not out yet: the same content-hash, another release.
    new, old = "fake_versioned-2.0-py3-none-any.whl", "fake_versioned-1.0-py3-none-any.whl"
    text = lock.read_text()
    edited = text.replace('name = "fake-versioned"\nversion = "2.0"', 'name = "fake-versioned"\nversion = "1.0"').replace(
        f'{{file = "{new}", hash = "sha256:{wheel_sha256(wheelhouse, new)}"}}',
        f'{{file = "{old}", hash = "sha256:{wheel_sha256(wheelhouse, old)}"}}')
    assert edited.count(old) == 1 and new not in edited and 'version = "2.0"' not in edited
    lock.write_text(edited)
    capsys.readouterr()
    assert build(project, "--no-compile") == 0
    assert after_target(capsys.readouterr().out).startswith("resolve: 1 pin from poetry.lock")
    assert contents(project / LAYER)["python/fake_versioned/__init__.py"] == b"VERSION = 1\n"
