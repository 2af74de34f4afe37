"""The whole core pipeline (console script and Python API) on real installs from the wheelhouse."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile

import pytest

from shared_core import LambdaLayerBuilder, LambdaLayerZipper, LayerBuildToolEnum
from tests.helpers.builds import run_cli
from tests.helpers.layer_assertions import dists, names
from tests.helpers.wheelfactory import wheel_sha256

pytestmark = pytest.mark.in_process


def test_requirements_project_builds_for_target(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\nfake-markers==1.0\nfake-linux-only==1.0\n"
                           "fake-arm-only==1.0 ; platform_machine == 'aarch64'\nfake-win-only==1.0 ; sys_platform == 'win32'\n")
    assert run_cli(project, "--python", "3.12", "--arch", "arm64") == 0
    layer = project / "build/lambda/layer/layer.zip"
    assert dists(layer) == {"fake-a", "fake-b", "fake-markers", "fake-linux-only", "fake-arm-only"}
    assert all(name.startswith("python/") for name in names(layer))
    out = capsys.readouterr().out
    assert "resolve: 5 pins from requirements.txt" in out and str(layer) in out


def test_unpinned_requirements_resolved_for_target_not_host(core_env, make_project):
    project = make_project(requirements__txt="fake-markers\n")
    assert run_cli(project, "--python", "3.12", "--arch", "arm64") == 0
    assert dists(project / "build/lambda/layer/layer.zip") == {"fake-markers", "fake-linux-only", "fake-arm-only"}
    assert run_cli(project, "--python", "3.11", "--arch", "x86_64") == 0
    assert dists(project / "build/lambda/layer/layer.zip") == {"fake-markers", "fake-linux-only", "fake-old-python"}


@pytest.mark.parametrize("arch, machine", [("x86_64", "x86_64"), ("arm64", "aarch64")])
def test_native_wheel_matches_target(core_env, make_project, arch, machine):
    project = make_project(requirements__txt="fake-native==1.0\n")
    assert run_cli(project, "--python", "3.12", "--arch", arch) == 0
    assert f"python/fake_native/_speedups.cpython-312-{machine}-linux-gnu.so" in names(project / "build/lambda/layer/layer.zip")


def test_missing_wheel_lists_every_package(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-sdist-only==1.0\nfake-x86-only==1.0\nfake-a==1.0\n")
    assert run_cli(project, "--python", "3.12", "--arch", "arm64") == 1
    assert capsys.readouterr().err == (
        "error: No wheel for the target runtime (python3.12 arm64 (manylinux, glibc 2.34)) for: fake-sdist-only 1.0; "
        "fake-x86-only 1.0. Needed tags: cp312/abi3/py3, manylinux_2_34_aarch64 or older manylinux, or any. Ways out: "
        "pin a version that publishes wheels for this runtime; for a pure-Python package, allow its sdist with "
        '`allow-sdist = ["fake-sdist-only"]` in [tool.lambda-layer]; or build on the target platform.\n'
    )
    assert not (project / "build/lambda/layer/layer.zip").exists()


def test_audit_catches_wrong_platform_file(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-badplat==1.0\n")
    assert run_cli(project, "--arch", "arm64") == 1
    err = capsys.readouterr().err
    assert "fake_badplat/_native.so" in err and "ELF machine 62" in err
    assert run_cli(project, "--arch", "x86_64") == 0


def test_excluded_before_install_and_reported(core_env, make_project, capsys):
    project = make_project(requirements__txt="requests==2.32.3\nurllib3==2.2.3\nfake-b==1.0\nboto3==1.35.0\nbotocore==1.35.0\n")
    assert run_cli(project, "-v") == 0
    out = capsys.readouterr().out
    assert "excluded before install: boto3, botocore, urllib3" in out
    assert dists(project / "build/lambda/layer/layer.zip") == {"requests", "fake-b"}
    assert "requests -> urllib3" in out


def test_bytecode_is_valid_from_read_only_copy(core_env, make_project, tmp_path):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\nsix==1.16.0\n")
    version = "%d.%d" % sys.version_info[:2]
    assert run_cli(project, "--python", version) == 0
    layer = project / "build/lambda/layer/layer.zip"
    pycs = [n for n in names(layer) if n.endswith(".pyc")]
    assert len(pycs) == 3
    with zipfile.ZipFile(layer) as archive:
        for name in pycs:
            assert int.from_bytes(archive.read(name)[4:8], "little") == 1  # unchecked hash
        archive.extractall(tmp_path / "opt")
    # Break the sources: only a valid, unchecked pyc can still import them from read-only /opt.
    for source in ("fake_a/__init__.py", "six.py"):
        (tmp_path / "opt/python" / source).write_text("raise ImportError('source was used')\n")
    for path in (tmp_path / "opt").rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    probe = "import sys; sys.path.insert(0, '.'); import fake_a, six; print(six.VALUE, fake_a.VALUE)"
    completed = subprocess.run(
        [sys.executable, "-I", "-B", "-c", probe], cwd=tmp_path / "opt" / "python", capture_output=True, text=True,
    )
    assert completed.stdout.strip() == "1 1", completed.stderr
    # the recorded source path is where Lambda extracts the layer, not this machine's temp dir
    import marshal
    with zipfile.ZipFile(layer) as archive:
        code = marshal.loads(archive.read(next(n for n in pycs if "six" in n))[16:])
    assert code.co_filename == "/opt/python/six.py"


def test_no_compile_ships_no_bytecode(core_env, make_project):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    assert run_cli(project, "--no-compile") == 0
    assert not [n for n in names(project / "build/lambda/layer/layer.zip") if n.endswith(".pyc")]


def test_fingerprint_skip_force_and_changed_inputs(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    layer = project / "build/lambda/layer/layer.zip"
    assert run_cli(project) == 0
    first = hashlib.sha256(layer.read_bytes()).hexdigest()
    capsys.readouterr()
    assert run_cli(project) == 0
    assert "up to date" in capsys.readouterr().out
    assert run_cli(project, "--force") == 0
    out = capsys.readouterr().out
    assert "up to date" not in out and hashlib.sha256(layer.read_bytes()).hexdigest() == first
    assert run_cli(project, "--arch", "arm64") == 0
    assert "up to date" not in capsys.readouterr().out
    layer.write_bytes(layer.read_bytes()[:-10])  # a damaged zip is rebuilt
    assert run_cli(project, "--arch", "arm64") == 0
    assert "up to date" not in capsys.readouterr().out
    (project / "requirements.txt").write_text("fake-b==1.0\n")
    assert run_cli(project, "--arch", "arm64") == 0
    assert dists(layer) == {"fake-b"}


def test_rebuild_from_scratch_is_byte_identical(core_env, make_project):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\nPyYAML==6.0.2\nfake-native==1.0\n")
    assert run_cli(project) == 0
    layer = project / "build/lambda/layer/layer.zip"
    first = layer.read_bytes()
    import shutil
    shutil.rmtree(project / "build")
    assert run_cli(project) == 0
    assert layer.read_bytes() == first


def test_python_api_two_steps(core_env, make_project):
    project = make_project("[project]\nname='x'\nversion='1'\n[tool.lambda-layer]\narchitecture='arm64'\n",
                           requirements__txt="fake-native==1.0\n")
    pyproject = project / "pyproject.toml"
    installed = LambdaLayerBuilder(pyproject, LayerBuildToolEnum.pip, python_version="3.12", verbose=False).run()
    assert installed.target.architecture == "arm64" and [p.name for p in installed.pins] == ["fake-native"]
    result = LambdaLayerZipper(pyproject, LayerBuildToolEnum.pip, verbose=False).run()
    assert result.path == project / "build/lambda/layer/layer.zip"
    assert "python/fake_native/_speedups.cpython-312-aarch64-linux-gnu.so" in names(result.path)


@pytest.mark.parametrize("option, message", [
    (["--python", "3.8"], "--python must be a Lambda Python runtime version, got '3.8'. Supported versions: 3.9, 3.10, "
                          "3.11, 3.12, 3.13, 3.14."),
    (["--compression-level", "13"], "--compression-level must be an integer from 0 to 12, got 13."),
])
def test_bad_options_are_one_paragraph(core_env, make_project, capsys, option, message):
    project = make_project(requirements__txt="fake-a==1.0\n")
    assert run_cli(project, *option) == 1
    assert capsys.readouterr().err == f"error: {message}\n"


def test_pip_installer_gets_the_same_target_set(core_env, make_project, capsys):
    """pip evaluates markers against the host; it only ever sees our evaluated, exact pins."""
    project = make_project(requirements__txt="fake-markers\nfake-native==1.0\n")
    assert run_cli(project, "--installer", "pip", "--python", "3.12", "--arch", "arm64", "--no-compile") == 0
    layer = project / "build/lambda/layer/layer.zip"
    pip_names = names(layer)
    assert dists(layer) == {"fake-markers", "fake-linux-only", "fake-arm-only", "fake-native"}
    assert "python/fake_native/_speedups.cpython-312-aarch64-linux-gnu.so" in pip_names
    with zipfile.ZipFile(layer) as archive:
        assert archive.read("python/fake_native-1.0.dist-info/INSTALLER") == b"pip\n"
    capsys.readouterr()
    assert run_cli(project, "--python", "3.12", "--arch", "arm64", "--no-compile") == 0  # uv: a rebuild, not "up to date"
    assert "\ninstall: 4 distributions with uv, audited for aarch64 (" in capsys.readouterr().out
    with zipfile.ZipFile(layer) as archive:
        assert archive.read("python/fake_native-1.0.dist-info/INSTALLER") == b"uv"
    installer_files = ("INSTALLER", "RECORD", "REQUESTED", "direct_url.json")
    assert {n for n in names(layer) if not n.endswith(installer_files)} == {
        n for n in pip_names if not n.endswith(installer_files)}


def test_pip_installer_missing_wheel(core_env, make_project, wheelhouse, capsys):
    """Hash-pinned, so pip meets the missing wheel itself (an unhashed file stops at the resolver)."""
    sdist = wheel_sha256(wheelhouse, "fake_sdist_only-1.0.tar.gz")
    project = make_project(requirements__txt=f"fake-sdist-only==1.0 --hash=sha256:{sdist}\n")
    assert run_cli(project, "--installer", "pip", "--python", "3.11") == 1
    assert capsys.readouterr().err == (
        # python3.11 for its older glibc (Amazon Linux 2); AWS has deprecated it, and the build says so first
        "warning: python3.11 is a deprecated Lambda runtime (since 2026-06-30): AWS no longer patches it and will block "
        "creating, then updating, functions on it. Target a newer runtime (supported until later: python3.12, "
        "python3.13, python3.14).\n"
        "error: No wheel for the target runtime (python3.11 x86_64 (manylinux, glibc 2.26)) for: fake-sdist-only 1.0. "
        "Needed tags: cp311/abi3/py3, manylinux_2_26_x86_64 or older manylinux, or any. Ways out: pin a version that "
        "publishes wheels for this runtime; for a pure-Python package, allow its sdist with "
        '`allow-sdist = ["fake-sdist-only"]` in [tool.lambda-layer]; or build on the target platform. (pip reports a '
        "name or version the index does not have the same way: check those too.)\n"
    )


def test_dependencies_only_excluded_ones_need_are_not_installed(core_env, make_project, capsys):
    """python-dateutil is needed only by an excluded distribution: it goes too; six is direct and stays."""
    project = make_project("[project]\nname='x'\nversion='1'\ndependencies=['fake-a', 'python-dateutil', 'six']\n")
    assert run_cli(project, "--tool", "hatch", "--exclude", "fake-a") == 0
    assert dists(project / "build/lambda/layer/layer.zip") == {"python-dateutil", "six"}
    capsys.readouterr()
    project2 = make_project("[project]\nname='y'\nversion='1'\ndependencies=['fake-a', 'six']\n", name="p2")
    assert run_cli(project2, "--tool", "hatch", "--exclude", "fake-a") == 0
    assert dists(project2 / "build/lambda/layer/layer.zip") == {"six"}
    assert "excluded before install: fake-a (and fake-b, needed only by those)" in capsys.readouterr().out


def test_pruning_keeps_what_a_kept_distribution_still_needs(core_env, make_project):
    project = make_project("[project]\nname='x'\nversion='1'\ndependencies=['requests', 'fake-a']\n")
    assert run_cli(project, "--tool", "hatch", "--exclude", "requests", "--no-default-excludes") == 0
    # requests needs urllib3 and fake-b; fake-a still needs fake-b, nothing else needs urllib3
    assert dists(project / "build/lambda/layer/layer.zip") == {"fake-a", "fake-b"}


def test_bytecode_cache_and_test_directories(core_env, make_project, capsys):
    import shutil

    project = make_project(requirements__txt="fake-with-tests==1.0\nfake-a==1.0\nfake-b==1.0\n")
    version = "%d.%d" % sys.version_info[:2]
    assert run_cli(project, "--python", version) == 0
    layer = project / "build/lambda/layer/layer.zip"
    pycs = sorted(n for n in names(layer) if n.endswith(".pyc"))
    assert [p.split("/__pycache__")[0] for p in pycs] == ["python/fake_a", "python/fake_b", "python/fake_with_tests"]
    assert "python/fake_with_tests/tests/test_it.py" in names(layer)     # tests ship as source, uncompiled
    first = layer.read_bytes()
    capsys.readouterr()
    shutil.rmtree(project / "build")
    assert run_cli(project, "--python", version) == 0
    assert "3 unchecked-hash .pyc for Python" in (out := capsys.readouterr().out) and "3 from cache" in out
    assert layer.read_bytes() == first


def test_allow_sdist_builds_a_pure_python_sdist(core_env, make_project, monkeypatch, seed_wheels):
    """The way out the missing-wheel error offers; the build backend (hatchling) comes from the seed wheels."""
    monkeypatch.setenv("UV_FIND_LINKS", f"{core_env['UV_FIND_LINKS']},{seed_wheels}")
    project = make_project("[tool.lambda-layer]\nallow-sdist = ['fake-sdist-only']\n",
                           requirements__txt="fake-sdist-only==1.0\nfake-a==1.0\nfake-b==1.0\n")
    assert run_cli(project, "--python", "3.12", "--arch", "arm64", "--no-compile") == 0
    layer = project / "build/lambda/layer/layer.zip"
    assert dists(layer) == {"fake-sdist-only", "fake-a", "fake-b"}
    assert "python/fake_sdist_only/__init__.py" in names(layer)


def test_malformed_source_date_epoch_is_a_clear_error(core_env, make_project, monkeypatch, capsys):
    project = make_project(requirements__txt="fake-b==1.0\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert run_cli(project, "--python", "3.12") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: SOURCE_DATE_EPOCH must be an integer") and "Traceback" not in err
    assert not (project / "build/lambda/layer/layer.zip").exists()


def test_small_promises_of_a_build(core_env, make_project, capsys):
    """The path printed once when up to date, the result lists what was excluded before install,
    the fingerprint is readable by the team (0644, whatever the umask), ``slimmed 1 file``."""
    import os
    import stat

    from shared_core import LayerConfig, Project, build_layer
    from shared_core.pipeline.fingerprint import fingerprint_path
    from shared_core.support.reporting import PrintReporter

    project = make_project(requirements__txt="requests==2.32.3\nfake-b==1.0\nurllib3==2.2.3\nfake-cli==1.0\nboto3==1.35.0\n")
    previous = os.umask(0o077)
    try:
        outcome = build_layer(Project.load(project / "pyproject.toml"), LayerConfig(python_version="3.12"),
                              PrintReporter(verbose=True))
    finally:
        os.umask(previous)
    layer = project / "build/lambda/layer/layer.zip"
    assert [(d.name, d.version, d.pattern, d.files, d.before_install) for d in outcome.zip.excluded] == [
        ("boto3", "1.35.0", "boto3", frozenset(), True), ("botocore", "1.35.0", "botocore", frozenset(), True),
        ("urllib3", "2.2.3", "urllib3", frozenset(), True)]
    assert stat.S_IMODE(fingerprint_path(layer).stat().st_mode) == 0o644
    out = capsys.readouterr().out
    assert "  slimmed 1 file of console scripts (" in out

    assert run_cli(project, "--python", "3.12") == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "Layer is up to date (inputs unchanged; --force rebuilds).", str(layer)]


def test_quiet_seed_api_prints_only_warnings(core_env, make_project, capsys):
    project = make_project("[tool.lambda-layer]\nexclude-packages = ['not-installed']\n",
                           requirements__txt="fake-b==1.0\n")
    pyproject = project / "pyproject.toml"
    LambdaLayerBuilder(pyproject, LayerBuildToolEnum.pip, python_version="3.12", verbose=False).run()
    LambdaLayerZipper(pyproject, LayerBuildToolEnum.pip, verbose=False).run()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "warning: exclusion 'not-installed' matched no installed distribution (check the spelling).\n"
