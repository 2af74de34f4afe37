"""The Hatch builder plugin (``-t lambda-layer``): in-process through Hatchling's own classes, and
``python -m hatchling build -t lambda-layer`` in temporary projects, on real installs from the
wheelhouse (the full ``hatch build`` is in ``test_hatch_cli.py``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict

import pytest
from hatchling.plugin.manager import PluginManager

from hatch_lambda_layer.builder import LambdaLayerHatchBuilder
from hatch_lambda_layer.function_builder import LambdaFunctionHatchBuilder
from hatch_lambda_layer.hooks import hatch_register_builder
from shared_core.pipeline.fingerprint import fingerprint_path
from tests.helpers.hatch_projects import in_process_builder, pyproject, write_project
from tests.helpers.layer_assertions import dists, names, tops
from tests.helpers.wheelfactory import HUGE_BLOB_BYTES

TARGET = "tool.hatch.build.targets.lambda-layer"
LAYER = Path("build/lambda/layer/layer.zip")


# -- helpers ---------------------------------------------------------------------------------------


def hatchling_build(root: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "lambda-layer", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )


def built(completed: subprocess.CompletedProcess) -> str:
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    return completed.stderr


# -- registration ---------------------------------------------------------------------------------


@pytest.mark.in_process
def test_registered_under_the_entry_point():
    assert hatch_register_builder() == [LambdaLayerHatchBuilder, LambdaFunctionHatchBuilder]
    assert LambdaLayerHatchBuilder.PLUGIN_NAME == "lambda-layer"
    assert PluginManager().builder.get("lambda-layer") is LambdaLayerHatchBuilder
    assert PluginManager().builder.get("lambda-function") is LambdaFunctionHatchBuilder


# -- in-process tier: Hatchling's ProjectMetadata + our builder ------------------------------------


@pytest.mark.in_process
def test_in_process_build_returns_absolute_zip_and_reports(core_env, tmp_path, capsys):
    root = tmp_path / "demo"
    builder = in_process_builder(root, pyproject(["fake-a", "requests", "boto3"], shared={"python-version": "3.12"}))
    [artifact] = list(builder.build())
    assert artifact == str(root.resolve() / LAYER)
    # defaults drop the runtime-provided boto3, botocore and urllib3 before install
    assert dists(root / LAYER) == {"fake-a", "fake-b", "requests"}
    assert all(name.startswith("python/") for name in names(root / LAYER))
    err = capsys.readouterr().err
    assert "\ntarget: python3.12 x86_64 (python-version from [tool.lambda-layer])\n" in err
    assert "resolve: 3 pins from [project.dependencies]" in err and "excluded before install: boto3, botocore, urllib3" in err
    assert "Layer size: " in err and "Largest distributions (unzipped):" in err
    assert "  fake-a==1.0" not in err  # pins are debug output (hatch -v)

    [again] = list(in_process_builder(root, pyproject(["fake-a", "requests", "boto3"], shared={"python-version": "3.12"}))
                   .build())
    assert again == artifact
    assert "Layer is up to date (inputs unchanged; `hatch build -t lambda-layer --clean` rebuilds)" in capsys.readouterr().err


@pytest.mark.in_process
def test_verbosity_follows_hatch(core_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HATCH_VERBOSE", "1")
    list(in_process_builder(tmp_path / "v", pyproject(["fake-a"])).build())
    assert "  fake-a==1.0" in capsys.readouterr().err
    monkeypatch.delenv("HATCH_VERBOSE")
    monkeypatch.setenv("HATCH_QUIET", "1")
    builder = in_process_builder(tmp_path / "q", pyproject(["fake-a"], target={"exclude-packages": ["nothing-like-it"]}))
    list(builder.build())
    err = capsys.readouterr().err
    assert "Layer size" not in err and "resolve:" not in err
    assert "warning: exclusion 'nothing-like-it' matched no installed distribution" in err  # warnings survive -q


@pytest.mark.in_process
def test_all_extras_and_self_referencing_extra(core_env, tmp_path):
    optional = {"speed": ["fake-with-extra[speed]"], "cli": ["fake-cli"], "everything": ["demo-hatch[speed]", "fake-c"]}
    builder = in_process_builder(tmp_path / "all", pyproject(["fake-a"], optional=optional, target={"all-extras": True}))
    [artifact] = list(builder.build())
    assert dists(Path(artifact)) == {"fake-a", "fake-b", "fake-with-extra", "fake-extra-dep", "fake-cli", "fake-c"}
    builder = in_process_builder(tmp_path / "one", pyproject(["fake-a"], optional=optional, shared={"extras": ["Everything"]}))
    [artifact] = list(builder.build())
    assert dists(Path(artifact)) == {"fake-a", "fake-b", "fake-with-extra", "fake-extra-dep", "fake-c"}


@pytest.mark.in_process
def test_uv_lock_is_the_pin_source_when_present(core_env, tmp_path, capsys):
    from shared_core.support.toolchain import find_uv

    root = tmp_path / "locked"
    config = pyproject(["fake-a"], optional={"speed": ["fake-with-extra[speed]"]}, target={"extras": ["speed"]})
    config["project"]["requires-python"] = ">=3.9"
    write_project(root, config)
    subprocess.run([find_uv(), "lock", "--quiet"], cwd=root, check=True, env=core_env, timeout=60)
    [artifact] = list(in_process_builder(root, config).build())
    assert dists(Path(artifact)) == {"fake-a", "fake-b", "fake-with-extra", "fake-extra-dep"}
    assert "pins from uv.lock" in capsys.readouterr().err
    # a dependency added after locking: the stale lock is refused, as Poetry's is
    config["project"]["dependencies"].append("fake-c")
    with pytest.raises(SystemExit):
        list(in_process_builder(root, config).build())
    assert "changed since uv.lock was last generated (fake-c). Run `uv lock`" in capsys.readouterr().err


@pytest.mark.in_process
def test_drop_package_tests_from_the_target_table(core_env, tmp_path, capsys):
    root = tmp_path / "suite"
    target = {"drop-package-tests": True, "compile-bytecode": False}
    list(in_process_builder(root, pyproject(["fake-suite"], target=target)).build(directory=str(tmp_path / "dist")))
    assert "package tests: left out 2 test directories (3 files, 1.0 KB); no kept module imports them" in capsys.readouterr().err
    assert {"python/fake_suite/tests/test_core.py", "python/fake_suite/sub/test/data.txt"}.isdisjoint(names(root / LAYER))
    assert {"python/fake_suite/core.py", "python/fake_suite/needs/tests/helper.py"} <= names(root / LAYER)


@pytest.mark.in_process
def test_allow_invalid_python_from_the_target_table(core_env, tmp_path, capsys):
    """fake-new-syntax uses Python 3.12 syntax; refused for python3.11 unless the target table allows it."""
    root = tmp_path / "new-syntax"
    invalid = "fake_new_syntax/aliases.py of fake-new-syntax 1.0 (SyntaxError: invalid syntax at line 1)"
    with pytest.raises(SystemExit):
        list(in_process_builder(root, pyproject(["fake-new-syntax"], target={"python-version": "3.11"})).build())
    assert (f"1 module does not compile with Python 3.11, so importing it on python3.11 fails: {invalid}. "
            in capsys.readouterr().err)
    assert not (root / LAYER).exists()
    target = {"python-version": "3.11", "allow-invalid-python": True}
    [artifact] = list(in_process_builder(root, pyproject(["fake-new-syntax"], target=target)).build())
    assert (f"warning: 1 module does not compile with Python 3.11 and ships as source only (allow-invalid-python): "
            f"{invalid}; importing it on python3.11 fails.") in capsys.readouterr().err
    assert "python/fake_new_syntax/aliases.py" in names(Path(artifact))
    assert not fingerprint_path(Path(artifact)).exists()


@pytest.mark.in_process
def test_hatch_generic_keys_keep_their_meaning(core_env, tmp_path, capsys):
    """``exclude`` is Hatch's file selection: the layer ignores it (with a hint), ``exclude-packages`` is ours."""
    target = {"exclude": ["fake_b"], "versions": ["standard"], "require-runtime-dependencies": False,
              "exclude-packages": ["fake-c"]}
    builder = in_process_builder(tmp_path / "generic", pyproject(["fake-a", "fake-c"], target=target))
    [artifact] = list(builder.build())
    assert dists(Path(artifact)) == {"fake-a", "fake-b"}
    assert (f"warning: Field `{TARGET}.exclude` is Hatch's file selection and does not change the layer; "
            "list distributions to leave out in `exclude-packages`.") in capsys.readouterr().err


@pytest.mark.in_process
def test_clean_removes_only_what_the_builder_made(core_env, tmp_path):
    root = tmp_path / "clean"
    config = pyproject(["fake-a"], target={"output": "out/demo-layer.zip"})
    builder = in_process_builder(root, config)
    [artifact] = list(builder.build())
    assert artifact == str(root.resolve() / "out/demo-layer.zip")
    assert fingerprint_path(Path(artifact)).is_file() and (root / "build/lambda/layer/artifacts/python").is_dir()
    sentinels = [root / "build/other.txt", root / "dist/x.whl", root / "out/keep.txt", root / "build/lambda-notes.txt"]
    for path in sentinels:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep")
    in_process_builder(root, config).clean(str(root / "dist"), [])
    assert not Path(artifact).exists() and not fingerprint_path(Path(artifact)).exists()
    assert not (root / "build/lambda").exists()
    assert all(path.read_text() == "keep" for path in sentinels)
    # nothing left to clean is fine; a file at `output` that is not a zip is not ours to delete
    Path(artifact).write_text("keep")
    in_process_builder(root, config).clean(str(root / "dist"), [])
    assert Path(artifact).read_text() == "keep"


@pytest.mark.in_process
def test_allow_oversize_target_key(core_env, tmp_path, capsys):
    root = tmp_path / "huge"
    try:
        with pytest.raises(SystemExit):
            list(in_process_builder(root, pyproject(["fake-huge"], target={"compile-bytecode": False}))
                 .build(directory=str(tmp_path / "dist")))
        assert re.search(r"^The layer unzips to 262,14\d,\d{3} bytes, [\d,]+ over Lambda's limit of 262,144,000 bytes for a "
                         r"function and all its layers; .* \(--allow-oversize\) to write it anyway\.\n\Z",
                         capsys.readouterr().err, re.M)
        assert not (root / LAYER).exists()
        builder = in_process_builder(root, pyproject(["fake-huge"], target={"compile-bytecode": False, "allow-oversize": True}))
        [artifact] = list(builder.build(directory=str(tmp_path / "dist")))
        with zipfile.ZipFile(artifact) as archive:
            assert archive.getinfo("python/fake_huge/blob.bin").file_size == HUGE_BLOB_BYTES
    finally:
        shutil.rmtree(root / "build", ignore_errors=True)


# -- configuration errors: Hatch's wording, through app.abort ---------------------------------------

_KNOWN = "Known keys: python-version, architecture, exclude-packages"


@pytest.mark.in_process
@pytest.mark.parametrize("table, key, value, message", [
    # strings
    ("target", "output", "", f"Field `{TARGET}.output` must be a non-empty string, got ''."),
    ("target", "architecture", 64, f"Field `{TARGET}.architecture` must be a non-empty string, got 64."),
    ("target", "python-version", 3.12,
     f'Field `{TARGET}.python-version` must be a string such as "3.12" (quoted), got the number 3.12.'),
    ("target", "installer", "conda", f"Field `{TARGET}.installer` must be one of 'uv', 'pip', got 'conda'."),
    # booleans
    ("target", "default-excludes", "no", f"Field `{TARGET}.default-excludes` must be a boolean (true or false), got 'no'."),
    ("target", "all-extras", 1, f"Field `{TARGET}.all-extras` must be a boolean (true or false), got 1."),
    # string lists
    ("target", "exclude-packages", "boto3",
     f"Field `{TARGET}.exclude-packages` must be an array of non-empty strings, got 'boto3'."),
    ("target", "extras", ["speed", 1], f"Field `{TARGET}.extras` must be an array of non-empty strings, got ['speed', 1]."),
    # integer range
    ("target", "compression-level", 13, f"Field `{TARGET}.compression-level` must be an integer from 0 to 12, got 13."),
    ("target", "compression-level", -1, f"Field `{TARGET}.compression-level` must be an integer from 0 to 12, got -1."),
    ("target", "compression-level", True, f"Field `{TARGET}.compression-level` must be an integer from 0 to 12, got True."),
    # unknown keys (a near miss of ours; Hatch's generic keys are unknown in the shared table)
    ("target", "exclude-package", ["boto3"], f"Unknown field `{TARGET}.exclude-package` in pyproject.toml. {_KNOWN}"),
    ("shared", "dependencies", ["x"], f"Unknown field `tool.lambda-layer.dependencies` in pyproject.toml. {_KNOWN}"),
    # the shared table is validated with its own name
    ("shared", "compression-level", 20, "Field `tool.lambda-layer.compression-level` must be an integer from 0 to 12, got 20."),
    # values that only the target runtime can judge
    ("target", "python-version", "3.8",
     f"Field `{TARGET}.python-version` must be a Lambda Python runtime version, got '3.8'. Supported versions: 3.9, "),
    ("target", "architecture", "sparc",
     f"Field `{TARGET}.architecture` must be a Lambda architecture, got 'sparc'. Supported: x86_64, arm64 "),
    ("shared", "architecture", "sparc",
     "Field `tool.lambda-layer.architecture` must be a Lambda architecture, got 'sparc'. Supported: x86_64, arm64 "),
])
def test_config_errors_abort_with_hatch_style_message(core_env, tmp_path, capsys, table, key, value, message):
    settings = {key: value}
    config = pyproject(["fake-a"], shared=settings if table == "shared" else None, target=settings if table == "target" else None)
    builder = in_process_builder(tmp_path / "bad", config)
    with pytest.raises(SystemExit) as exited:
        list(builder.build())
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(message), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "bad/build/lambda/layer/layer.zip").exists()


@pytest.mark.in_process
def test_shared_table_must_be_a_table(core_env, tmp_path, capsys):
    config = pyproject(["fake-a"])
    config["tool"]["lambda-layer"] = "arm64"
    with pytest.raises(SystemExit):
        list(in_process_builder(tmp_path / "bad", config).build())
    assert capsys.readouterr().err == "Field `tool.lambda-layer` must be a table, got 'arm64'.\n"


@pytest.mark.in_process
@pytest.mark.parametrize("table", ["shared", "target"])
def test_unknown_extra_is_named(core_env, tmp_path, capsys, table):
    settings = {"extras": ["speed", "turbo"]}
    config = pyproject(["fake-a"], optional={"speed": ["fake-with-extra[speed]"], "cli": ["fake-cli"]},
                       shared=settings if table == "shared" else None, target=settings if table == "target" else None)
    with pytest.raises(SystemExit):
        list(in_process_builder(tmp_path / "bad", config).build())
    name = TARGET if table == "target" else "tool.lambda-layer"
    assert capsys.readouterr().err == (
        f"Field `{name}.extras` names an extra that [project.optional-dependencies] does not define: 'turbo' "
        "(defined: cli, speed).\n"
    )


# -- subprocess tier: python -m hatchling build -t lambda-layer --------------------------------------


@pytest.mark.subprocess
def test_hatchling_build_with_extras(offline_env, tmp_path):
    root = write_project(tmp_path / "extras", pyproject(
        ["fake-a"], optional={"speed": ["fake-with-extra[speed]"], "cli": ["fake-cli"]}, target={"extras": ["speed"]},
    ))
    err = built(hatchling_build(root, offline_env))
    assert dists(root / LAYER) == {"fake-a", "fake-b", "fake-with-extra", "fake-extra-dep"}
    assert "from [project.dependencies] with extras speed" in err
    assert err.rstrip().splitlines()[-1] == str(LAYER)  # Hatch prints the artifact, relative to the project
    assert not (root / "dist").exists()  # nothing is written to Hatch's dist/ for this target


_EXCLUSION_DEPS = ["fake-a", "fake-c", "six", "requests", "boto3"]


@pytest.mark.subprocess
@pytest.mark.parametrize("shared, target, present, absent", [
    # shared table only: its list adds to the defaults
    ({"exclude-packages": ["fake-c"]}, {},
     {"fake-a", "fake-b", "six", "requests"}, {"fake-c", "boto3", "botocore", "urllib3"}),
    # target table wins key by key: its exclude-packages REPLACES the shared one (fake-c is back)
    ({"exclude-packages": ["fake-c"]}, {"exclude-packages": ["six"]},
     {"fake-a", "fake-b", "fake-c", "requests"}, {"six", "boto3", "botocore", "urllib3"}),
    # default-excludes = false: only the (target's) own list is left out
    ({"exclude-packages": ["fake-c"]}, {"exclude-packages": ["six"], "default-excludes": False},
     {"fake-a", "fake-b", "fake-c", "requests", "boto3", "botocore", "urllib3"}, {"six"}),
    # default-excludes from the shared table, exclude-packages from the target: each key merges on its own
    ({"default-excludes": False}, {"exclude-packages": ["botocore"]},
     {"fake-a", "fake-b", "fake-c", "six", "requests", "boto3", "urllib3"}, {"botocore"}),
])
def test_exclusions_from_both_tables(offline_env, tmp_path, shared, target, present, absent):
    root = write_project(tmp_path / "excl", pyproject(_EXCLUSION_DEPS, shared=shared, target=target))
    built(hatchling_build(root, offline_env))
    found = dists(root / LAYER)
    assert found == present and not absent & found


@pytest.mark.subprocess
def test_target_platform_from_the_target_table(offline_env, tmp_path):
    root = write_project(tmp_path / "arm", pyproject(
        ["fake-native", "fake-markers"], shared={"architecture": "x86_64", "python-version": "3.11"},
        target={"architecture": "arm64", "python-version": "3.12"},
    ))
    err = built(hatchling_build(root, offline_env))
    files = names(root / LAYER)
    assert "python/fake_native/_speedups.cpython-312-aarch64-linux-gnu.so" in files
    assert [name for name in files if name.endswith(".so")] == ["python/fake_native/_speedups.cpython-312-aarch64-linux-gnu.so"]
    # markers are evaluated for the target (aarch64, 3.12), not for this machine
    assert dists(root / LAYER) == {"fake-native", "fake-markers", "fake-linux-only", "fake-arm-only"}
    assert "\ntarget: python3.12 arm64 (python-version from [tool.hatch.build.targets.lambda-layer])\n" in err


@pytest.mark.subprocess
def test_rebuild_from_scratch_is_byte_identical(offline_env, tmp_path):
    root = write_project(tmp_path / "det", pyproject(["fake-a", "PyYAML", "fake-native", "python-dateutil"]))
    built(hatchling_build(root, offline_env))
    first = (root / LAYER).read_bytes()
    shutil.rmtree(root / "build")
    built(hatchling_build(root, offline_env))
    assert (root / LAYER).read_bytes() == first
    assert {top for top in tops(root / LAYER) if not top.endswith(".dist-info")} == {
        "fake_a", "fake_b", "yaml", "_yaml", "PyYAML.libs", "fake_native", "dateutil", "six.py", "__pycache__"}  # six.pyc


@pytest.mark.subprocess
def test_clean_only_removes_only_our_outputs(offline_env, tmp_path):
    root = write_project(tmp_path / "cleanonly", pyproject(["fake-a"]))
    built(hatchling_build(root, offline_env))
    assert (root / LAYER).is_file() and fingerprint_path(root / LAYER).is_file()
    sentinels = [root / "build/other.txt", root / "dist/x"]
    for path in sentinels:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep")
    completed = hatchling_build(root, offline_env, "--clean-only")
    assert completed.returncode == 0, completed.stderr
    assert not (root / "build/lambda").exists()
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == [
        "build", "build/other.txt", "dist", "dist/x", "pyproject.toml",
    ]


@pytest.mark.subprocess
@pytest.mark.parametrize("target, message", [
    ({"compression-level": 13}, f"Field `{TARGET}.compression-level` must be an integer from 0 to 12, got 13."),
    ({"exclude": "boto3", "exclude-packages": "boto3"},
     f"Field `{TARGET}.exclude-packages` must be an array of non-empty strings, got 'boto3'."),
    ({"extras": ["turbo"]}, f"Field `{TARGET}.extras` names an extra that [project.optional-dependencies] does not define"),
    ({"python-version": "2.7"}, f"Field `{TARGET}.python-version` must be a Lambda Python runtime version, got '2.7'."),
])
def test_config_errors_exit_non_zero_without_traceback(offline_env, tmp_path, target, message):
    root = write_project(tmp_path / "bad", pyproject(["fake-a"], target=target))
    completed = hatchling_build(root, offline_env)
    assert completed.returncode == 1
    assert message in completed.stderr and "Traceback" not in completed.stderr + completed.stdout
    assert not (root / "build/lambda/layer/layer.zip").exists()


@pytest.mark.subprocess
def test_missing_wheel_is_one_message(offline_env, tmp_path):
    root = write_project(tmp_path / "sdist", pyproject(["fake-sdist-only"]))
    completed = hatchling_build(root, offline_env)
    assert completed.returncode == 1
    assert "fake-sdist-only" in completed.stderr and "Traceback" not in completed.stderr


# -- the target, settings that do not apply, and where the layer goes --------------------------------


@pytest.mark.in_process
def test_target_from_hatchs_requires_python_and_exclusion(core_env, tmp_path, capsys):
    config = pyproject(["fake-native"], target={"compile-bytecode": False})
    config["project"]["requires-python"] = "==3.13.*"
    [artifact] = list(in_process_builder(tmp_path / "req", config).build())
    assert "python/fake_native/_speedups.cpython-313-x86_64-linux-gnu.so" in names(Path(artifact))
    assert "\ntarget: python3.13 x86_64 (the only Lambda runtime requires-python '==3.13.*' allows)\n" in capsys.readouterr().err

    config["tool"]["hatch"]["build"]["targets"]["lambda-layer"]["python-version"] = "3.12"
    with pytest.raises(SystemExit):
        list(in_process_builder(tmp_path / "excluded", config).build())
    assert capsys.readouterr().err.endswith(
        f"python3.12 (python-version from [{TARGET}]) is excluded by the project's requires-python '==3.13.*' "
        "(pyproject.toml), which allows python3.13 on Lambda. Choose one of those, or change requires-python.\n"
    )


@pytest.mark.in_process
def test_group_keys_without_a_lock_and_the_directory_argument_are_warned(core_env, tmp_path, capsys):
    root = tmp_path / "nolock"
    config = pyproject(["fake-a"], shared={"python-version": "3.12"}, target={"with-groups": ["dev"]})
    [artifact] = list(in_process_builder(root, config).build(directory=str(tmp_path / "out")))
    assert artifact == str(root.resolve() / LAYER)
    err = capsys.readouterr().err
    assert (f"warning: the directory argument ({tmp_path / 'out'}) is not used: the layer goes to `output` "
            f"({root.resolve() / LAYER}); set `output` in the target table instead.\n") in err
    assert (f"warning: Field `{TARGET}.with-groups` does not apply to [project.dependencies] (only a poetry.lock or "
            "uv.lock records dependency groups); it is ignored.\n") in err



@pytest.mark.in_process
def test_several_targets_from_the_target_table(core_env, tmp_path, capsys):
    """Lists in the target table: one layer per target, Hatch shown the folder that holds them, and
    `hatch clean` removes each target's outputs."""
    root = tmp_path / "many"
    config = pyproject(["fake-native"], target={"python-version": ["3.12", "3.13"], "architecture": ["arm64"],
                                                 "output": "dist/"})
    [artifact] = list(in_process_builder(root, config).build())
    assert artifact == str(root.resolve() / "dist")
    layers = [root / "dist" / name / "layer.zip" for name in ("py312-arm64", "py313-arm64")]
    assert [layer.is_file() and layer.with_name("layer.zip.json").is_file() for layer in layers] == [True, True]
    err = capsys.readouterr().err
    assert f"targets: python3.12 arm64, python3.13 arm64 (python-version from [{TARGET}])" in err
    in_process_builder(root, config).clean(str(root / "dist"), [])
    assert sorted(path.relative_to(root).as_posix() for path in (root / "dist").rglob("*")
                  if not path.name.startswith(".")) == ["dist/py312-arm64", "dist/py313-arm64"]
