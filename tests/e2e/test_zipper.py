"""Step 2 on every staged layout: exclusion by distribution, slimming, symlinks, limits, atomicity."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, Optional, Sequence, Set

import pytest

from shared_core import LambdaLayerZipper, LayerBuildToolEnum, LayoutError, SizeLimitError, SymlinkEscapeError
from shared_core.support.toolchain import find_uv
from tests.helpers.layer_assertions import dists, names, tops

pytestmark = pytest.mark.in_process

ARTIFACTS = "build/lambda/layer/artifacts/python"


def uv_install(env: Dict[str, str], destination: Path, *requirements: str) -> None:
    subprocess.run(
        [find_uv(), "pip", "install", "--target", str(destination), "--python", sys.executable, "--no-deps", *requirements],
        env=env, check=True, capture_output=True,
    )


def pip_install(env: Dict[str, str], destination: Path, *requirements: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(destination), "--no-deps", *requirements],
        env=env, check=True, capture_output=True,
    )


def zip_project(project: Path, tool: LayerBuildToolEnum = LayerBuildToolEnum.pip, ignore: Optional[Sequence[str]] = None, **kw):
    return LambdaLayerZipper(project / "pyproject.toml", tool, ignore_package_list=ignore, verbose=True, **kw).run()


@pytest.fixture
def project(make_project) -> Path:
    return make_project("[project]\nname = 'demo'\nversion = '1.0'\n")


EVERYTHING = ("pip", "pipe", "PyYAML", "python-dateutil", "six", "urllib3", "requests", "boto3", "botocore",
              "setuptools", "pytest", "pytest-cov", "fake-b", "fake-cli", "s3transfer", "wheel", "twine")


@pytest.fixture
def pip_layout(offline_env, project) -> Path:
    pip_install(offline_env, project / ARTIFACTS, *EVERYTHING)
    return project


def test_default_exclusions_by_distribution_not_prefix(pip_layout, capsys):
    result = zip_project(pip_layout)
    layer = result.path
    kept = tops(layer)
    assert "pipe.py" in kept and "pipe-2.2.dist-info" in kept          # `pip` must not take `pipe`
    assert "pytest_cov" in kept                                          # `pytest` is not a prefix match
    for gone in ("pip", "urllib3", "boto3", "botocore", "setuptools", "_distutils_hack", "distutils-precedence.pth",
                 "pytest", "_pytest"):
        assert gone not in kept
    assert not [t for t in kept if t.startswith(("pip-", "urllib3-", "boto3-", "setuptools-", "pytest-8"))]
    defaults = ["boto3", "botocore", "pip", "pytest", "s3transfer", "setuptools", "twine", "urllib3", "wheel"]
    assert [d.name for d in result.excluded] == defaults
    out, err = capsys.readouterr()
    saved = sum(_recorded_bytes(pip_layout / ARTIFACTS, name) for name in defaults)
    assert f"Excluded 9 distributions ({', '.join(defaults)}), saving {saved / 1024:.1f} KB\n" in out
    assert "Note: provided by the Lambda runtime, not packed: requests -> urllib3\n" in out  # said once, informational
    assert err == ""                                                      # defaults that match are not warnings


def _recorded(site: Path, name: str) -> Set[str]:
    """The paths the distribution's RECORD lists inside ``site`` (scripts in ``../../bin`` are elsewhere)."""
    [info] = [path for path in site.glob("*.dist-info") if path.name.split("-")[0].lower() == name.replace("-", "_").lower()]
    with open(info / "RECORD", newline="", encoding="utf-8") as record:
        return {row[0] for row in csv.reader(record) if row and not row[0].startswith("../")}


def _recorded_bytes(site: Path, name: str) -> int:
    return sum((site / path).stat().st_size for path in _recorded(site, name))


def test_user_exclusions_normalised_globs_and_unknown(pip_layout, capsys):
    result = zip_project(pip_layout, ignore=["pyyaml", "python_dateutil", "pytest-*", "no-such-dist"])
    kept = tops(result.path)
    for gone in ("yaml", "_yaml", "PyYAML.libs", "dateutil", "pytest_cov"):
        assert gone not in kept
    # an explicit list replaces the defaults: pip, urllib3, boto3, ... stay
    assert {top for top in kept if not top.endswith(".dist-info")} == {
        "pip", "pipe.py", "six.py", "urllib3", "requests", "boto3", "botocore", "setuptools", "_distutils_hack",
        "distutils-precedence.pth", "pytest", "_pytest", "fake_b", "fake_cli", "s3transfer", "wheel", "twine"}
    # python-dateutil is excluded itself, so its need for six is nobody's problem: one warning only
    assert capsys.readouterr().err == "warning: exclusion 'no-such-dist' matched no installed distribution (check the spelling).\n"


def test_kept_distribution_requiring_excluded_one_is_warned(pip_layout, capsys):
    zip_project(pip_layout, ignore=["six"])
    err = capsys.readouterr().err
    assert "python-dateutil requires six, which is excluded" in err


def test_config_exclusions_add_to_defaults(offline_env, make_project):
    project = make_project("[tool.lambda-layer]\nexclude-packages = ['PyYAML']\n")
    pip_install(offline_env, project / ARTIFACTS, "PyYAML", "pip", "pipe", "six")
    kept = tops(zip_project(project).path)
    assert kept == {"pipe.py", "pipe-2.2.dist-info", "six.py", "six-1.16.0.dist-info"}


def test_slimming_drops_scripts_host_bytecode_and_leftovers(pip_layout):
    layer = zip_project(pip_layout).path
    everything = names(layer)
    assert not [n for n in everything if n.startswith("python/bin/")]
    assert not [n for n in everything if "__pycache__" in n or n.endswith(".pyc")]
    assert "python/.lock" not in everything
    assert [n for n in everything if n.endswith(".dist-info/RECORD")]    # metadata is kept
    assert "python/fake_cli-1.0.dist-info/entry_points.txt" in everything
    assert "python/PyYAML.libs/libyaml-fake.so" in everything            # shared objects are never touched


@pytest.mark.parametrize("layout", ["pip", "poetry", "uv", "windows"])
def test_each_staged_layout(offline_env, project, layout):
    tool = {"pip": LayerBuildToolEnum.pip, "poetry": LayerBuildToolEnum.poetry,
            "uv": LayerBuildToolEnum.uv, "windows": LayerBuildToolEnum.poetry}[layout]
    venv = project / "build/lambda/layer/repo/.venv"
    site = {
        "pip": project / ARTIFACTS,
        "poetry": venv / "lib/python3.11/site-packages",
        "uv": venv / "lib/python3.12/site-packages",
        "windows": venv / "Lib/site-packages",
    }[layout]
    uv_install(offline_env, site, "fake-a", "fake-b", "six")
    first = zip_project(project, tool)
    assert dists(first.path) == {"fake-a", "fake-b", "six"}
    digest = first.path.read_bytes()
    second = zip_project(project, tool)                                  # idempotent: the tree is only read
    assert second.path.read_bytes() == digest and site.is_dir()


def test_hatch_layout_and_missing_staging_error(offline_env, project):
    with pytest.raises(LayoutError) as error:
        zip_project(project, LayerBuildToolEnum.hatch)
    assert "artifacts/python" in str(error.value) and "Run Step 1" in str(error.value)
    uv_install(offline_env, project / ARTIFACTS, "fake-b")
    assert dists(zip_project(project, LayerBuildToolEnum.hatch).path) == {"fake-b"}


def test_determinism_across_recreated_trees(offline_env, make_project):
    digests = []
    for attempt in ("one", "two"):
        project = make_project("", name=attempt)
        requirements = ("six", "fake-b", "PyYAML", "fake-cli") if attempt == "one" else ("fake-cli", "PyYAML", "fake-b", "six")
        uv_install(offline_env, project / ARTIFACTS, *requirements)
        os.utime(project / ARTIFACTS / "six.py", (1_000_000_000, 1_000_000_000 + len(attempt)))
        digests.append(zip_project(project).path.read_bytes())
    assert digests[0] == digests[1]


def test_zip_is_valid_sorted_and_normalised(pip_layout):
    layer = zip_project(pip_layout).path
    with zipfile.ZipFile(layer) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) and not i.extra for i in infos)
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}   # console scripts (0755) are slimmed
    subprocess.run(["unzip", "-tq", str(layer)], check=True, capture_output=True)


def test_symlink_inside_tree_is_packed_as_file(offline_env, project):
    site = project / ARTIFACTS
    uv_install(offline_env, site, "six")
    (site / "six_alias.py").symlink_to(site / "six.py")
    with zipfile.ZipFile(zip_project(project).path) as archive:
        assert archive.read("python/six_alias.py") == archive.read("python/six.py")


def test_symlink_escaping_tree_is_refused(offline_env, project, tmp_path):
    site = project / ARTIFACTS
    uv_install(offline_env, site, "six")
    secret = tmp_path / "outside.txt"
    secret.write_text("not yours")
    (site / "leak.txt").symlink_to(secret)
    with pytest.raises(SymlinkEscapeError) as error:
        zip_project(project)
    assert "leak.txt" in str(error.value) and str(secret) in str(error.value)
    assert not (project / "build/lambda/layer/layer.zip").exists()


def test_failed_run_keeps_previous_layer(offline_env, project, tmp_path):
    site = project / ARTIFACTS
    uv_install(offline_env, site, "six", "fake-b")
    layer = zip_project(project).path
    before = layer.read_bytes()
    (tmp_path / "elsewhere.txt").write_text("x")
    (site / "escape.txt").symlink_to(tmp_path / "elsewhere.txt")
    with pytest.raises(SymlinkEscapeError):
        zip_project(project)
    assert layer.read_bytes() == before                                  # mid-write failures: test_zip_writer.py
    assert not [p for p in layer.parent.iterdir() if p.name.startswith(".layer-")]


def test_oversize_layer_refused_before_writing(offline_env, project):
    site = project / ARTIFACTS
    uv_install(offline_env, site, "six")
    big = site / "big.bin"
    with open(big, "wb") as handle:                                      # sparse: costs no disk
        handle.truncate(262_144_001)
    with pytest.raises(SizeLimitError) as error:
        zip_project(project)
    assert "262,144,000" in str(error.value) and "allow-oversize" in str(error.value)
    assert not (project / "build/lambda/layer/layer.zip").exists()


def test_exactly_the_unzipped_limit_is_written(project):
    site = project / ARTIFACTS
    site.mkdir(parents=True)
    with open(site / "big.bin", "wb") as handle:                         # sparse: costs no disk
        handle.truncate(262_144_000)
    try:
        result = zip_project(project)
        assert (result.files, result.unzipped_bytes) == (1, 262_144_000)
    finally:
        shutil.rmtree(project / "build")


def test_zip_over_direct_upload_limit_warns(offline_env, project, capsys):
    site = project / ARTIFACTS
    uv_install(offline_env, site, "six")
    (site / "noise.bin").write_bytes(os.urandom(51 * 1024 * 1024))
    result = zip_project(project)
    assert result.zipped_bytes > 50 * 1024 * 1024
    assert "over the 50 MB limit for direct upload" in capsys.readouterr().err


def test_size_report_lists_largest_distributions(pip_layout, capsys):
    layer = zip_project(pip_layout).path
    out = capsys.readouterr().out.splitlines()
    with zipfile.ZipFile(layer) as archive:
        infos = archive.infolist()
    kept = ["pipe", "PyYAML", "python-dateutil", "six", "requests", "pytest-cov", "fake-b", "fake-cli"]
    sizes = {name: sum(info.file_size for info in infos if info.filename[len("python/"):] in _recorded(pip_layout / ARTIFACTS, name))
             for name in kept}
    unzipped = sum(info.file_size for info in infos)
    assert sum(sizes.values()) == unzipped                                # nothing but these eight is packed
    zipped = layer.stat().st_size
    assert out[-len(kept) - 2:] == [
        f"Layer size: {len(infos)} files, {unzipped / 1024:.1f} KB unzipped ({unzipped:,} bytes), "
        f"{zipped / 1024:.1f} KB zipped ({zipped:,} bytes)",
        "Largest distributions (unzipped):",
        *(f"  {name:<15}  {f'{size / 1024:.1f} KB' if size >= 1024 else f'{size} B':>9}"
          for name, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0]))),
    ]
