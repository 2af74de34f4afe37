"""The layer is verified as a result, however it was reached (issue 18, cases 1, 10, 11, 15 and 16).

Real installs of hostile fixture wheels (``tests/helpers/wheelfactory.py``) through the console script
and the Python API: the dependency closure for the target's markers, versions and extras;
ownership deciding what exclusion and slimming remove (a package called ``bin``, sourceless
bytecode, two distributions owning ``cv2/``); modules that do not compile for the target; and the
audit reading binaries by content (tests/e2e/test_audit.py holds its table).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, Set

import pytest

from shared_core import IncompleteLayerError, LambdaLayerZipper, LayerBuildToolEnum, fingerprint_path
from shared_core.cli import main
from shared_core.support.toolchain import find_uv
from tests.helpers.layer_assertions import dists, names
from tests.helpers.wheelfactory import PYC_TAG, wheel_sha256

pytestmark = pytest.mark.in_process

LAYER = Path("build/lambda/layer/layer.zip")
ARTIFACTS = "build/lambda/layer/artifacts/python"
RUNNING = "%d.%d" % sys.version_info[:2]
T312 = "python3.12 x86_64 (manylinux, glibc 2.34)"
#: What a hash-pinned requirements file (installed as written, so never completed by a resolver) is told.
FIX = ("The pins came from requirements.txt: it is hash-pinned (pip's --require-hashes mode), so it is installed as "
       "written and must list every dependency with its hash: add the missing ones (`uv pip compile --generate-hashes` "
       "writes the complete set), or remove every --hash to let the build resolve the file, or leave a distribution "
       "out on purpose with `exclude-packages` (--exclude). Nothing was written; the previous layer zip is unchanged.")
#: Runtimes AWS deprecated before these tests' date print this first (3.11: since 2026-06-30).
DEPRECATED = {
    "3.11": "warning: python3.11 is a deprecated Lambda runtime (since 2026-06-30): AWS no longer patches it and will "
            "block creating, then updating, functions on it. Target a newer runtime (supported until later: python3.12, "
            "python3.13, python3.14).\n",
}


def build(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), *args])


def errors(err: str, python: str) -> str:
    """stderr without the runtime's deprecation warning (said on every build for an old runtime)."""
    return err.replace(DEPRECATED.get(python, ""), "", 1)


def under(layer: Path, prefix: str) -> Set[str]:
    return {name[len("python/"):] for name in names(layer) if name.startswith(f"python/{prefix}")}


def hashed(wheelhouse: Path, *pins: str) -> str:
    """``name==version --hash=sha256:...`` lines for wheels of the fixture wheelhouse."""
    lines = []
    for pin in pins:
        name, version = pin.split("==")
        wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        lines.append(f"{pin} --hash=sha256:{wheel_sha256(wheelhouse, wheel)}\n")
    return "".join(lines)


def uv_install(env: Dict[str, str], destination: Path, *requirements: str) -> None:
    subprocess.run(
        [find_uv(), "pip", "install", "--target", str(destination), "--python", sys.executable, "--no-deps", *requirements],
        env=env, check=True, capture_output=True,
    )


# -- 1. the dependency closure -------------------------------------------------------------------


def test_a_hash_pinned_requirements_file_without_a_dependency_writes_nothing(core_env, make_project, wheelhouse, capsys):
    project = make_project(requirements__txt=hashed(wheelhouse, "fake-a==1.0", "fake-b==1.0"))
    assert build(project, "--python", "3.12", "--no-compile") == 0
    before = (project / LAYER).read_bytes()
    recorded = fingerprint_path(project / LAYER).read_bytes()
    (project / "requirements.txt").write_text(hashed(wheelhouse, "fake-a==1.0"))
    capsys.readouterr()
    assert build(project, "--python", "3.12", "--no-compile") == 1
    out, err = capsys.readouterr()
    assert err == f"error: The layer would not work on {T312}: fake-a 1.0 requires fake-b, which is not in the layer. {FIX}\n"
    assert "zip:" not in out
    assert (project / LAYER).read_bytes() == before
    assert fingerprint_path(project / LAYER).read_bytes() == recorded
    assert sorted(path.name for path in (project / LAYER).parent.iterdir()) == [
        ".gitignore", ".lambda-layer.lock", "artifacts", "layer.zip", "layer.zip.fingerprint.json", "layer.zip.json"]  # no temporary file


@pytest.mark.parametrize("requirements, args, problem", [
    # markers are the target's: win32, aarch64 and python < 3.12 requirements do not count for python3.12 x86_64
    ("fake-markers==1.0\nfake-linux-only==1.0\n", (), None),
    ("fake-markers==1.0\n", (), "fake-markers 1.0 requires fake-linux-only, which is not in the layer"),
    ("fake-markers==1.0\nfake-linux-only==1.0\n", ("--arch", "arm64"),
     "fake-markers 1.0 requires fake-arm-only, which is not in the layer"),
    # a version the specifier excludes is a conflict, named with the version found
    ("fake-needs-v2==1.0\nfake-versioned==1.0\n", (), "fake-needs-v2 1.0 requires fake-versioned>=2, but the layer has "
                                                       "fake-versioned 1.0"),
    ("fake-needs-v2==1.0\nfake-versioned==2.0\n", (), None),
    # fake-with-extra[speed]>=1 asks for the extra: its requirements count, transitively
    ("fake-wants-extra==1.0\nfake-with-extra==1.0\n", (),
     "fake-with-extra 1.0 requires fake-extra-dep (for its extra 'speed'), which is not in the layer"),
    ("fake-wants-extra==1.0\nfake-with-extra==1.0\nfake-extra-dep==1.0\n", (), None),
    ("fake-with-extra==1.0\n", (), None),  # nobody asked for the extra
    # left out on purpose: runtime-provided (urllib3), a pattern that names what was never pinned
    ("requests==2.32.3\nfake-b==1.0\n", (), None),
    ("requests==2.32.3\nfake-b==1.0\n", ("--no-default-excludes",), None),
    ("fake-a==1.0\n", ("--exclude", "fake-b"), None),
    ("fake-a==1.0\nfake-needs-v2==1.0\nfake-versioned==1.0\n", (),
     "fake-a 1.0 requires fake-b, which is not in the layer; fake-needs-v2 1.0 requires fake-versioned>=2, but the "
     "layer has fake-versioned 1.0"),
])
def test_every_kept_requirement_is_in_the_layer_for_the_target(core_env, make_project, wheelhouse, capsys, requirements,
                                                               args, problem):
    """Hash-pinned sets (installed as written, no resolver completes them): the closure check is the only guard."""
    project = make_project(requirements__txt=hashed(wheelhouse, *requirements.split()))
    code = build(project, "--python", "3.12", "--no-compile", *args)
    err = capsys.readouterr().err
    if problem is None:
        assert code == 0, err
        assert (project / LAYER).is_file()
        return
    target = T312.replace("x86_64", "arm64") if "arm64" in args else T312
    assert (code, err) == (1, f"error: The layer would not work on {target}: {problem}. {FIX}\n")
    assert not (project / LAYER).exists()


def test_an_excluded_requirement_that_was_installed_stays_a_warning(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    assert build(project, "--python", "3.12", "--no-compile", "--exclude", "fake-b") == 0
    assert capsys.readouterr().err == "warning: fake-a requires fake-b, which is excluded; fake-a may fail to import on Lambda.\n"
    assert dists(project / LAYER) == {"fake-a"}


def test_the_python_api_checks_a_staged_tree_as_it_is(offline_env, make_project):
    project = make_project("[tool.lambda-layer]\npython-version = '3.12'\n")
    uv_install(offline_env, project / ARTIFACTS, "fake-a", "fake-with-extra")
    zipper = LambdaLayerZipper(project / "pyproject.toml", LayerBuildToolEnum.pip, verbose=False)
    with pytest.raises(IncompleteLayerError) as error:
        zipper.run()
    assert str(error.value) == (
        f"The layer would not work on {T312}: fake-a 1.0 requires fake-b, which is not in the layer. Install what is "
        "missing into the staged tree, at versions these requirements accept, or leave a distribution out on purpose "
        "with `exclude-packages` (--exclude). Nothing was written; the previous layer zip is unchanged."
    )
    assert not (project / LAYER).exists()
    uv_install(offline_env, project / ARTIFACTS, "fake-b")
    assert dists(zipper.run().path) == {"fake-a", "fake-b", "fake-with-extra"}
    # the extras a pin source asked for count too
    extras = LambdaLayerZipper(project / "pyproject.toml", LayerBuildToolEnum.pip, verbose=False,
                               requested_extras={"fake-with-extra": frozenset({"speed"})})
    with pytest.raises(IncompleteLayerError) as error:
        extras.run()
    assert str(error.value).startswith(
        f"The layer would not work on {T312}: fake-with-extra 1.0 requires fake-extra-dep (for its extra 'speed'), "
        "which is not in the layer. Install what is missing"
    )


# -- 2. ownership decides what is removed -------------------------------------------------------


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_package_called_bin_stays_and_the_installers_scripts_go(core_env, make_project, capsys, installer):
    project = make_project(requirements__txt="fake-bin-pkg==1.0\nfake-cli==1.0\nfake-data-script==1.0\n")
    assert build(project, "--python", "3.12", "--installer", installer) == 0
    assert errors(capsys.readouterr().err, "3.12") == ""
    layer = project / LAYER
    assert under(layer, "bin/") == {"bin/__init__.py", "bin/tool.py", "bin/__pycache__/__init__.cpython-312.pyc",
                                    "bin/__pycache__/tool.cpython-312.pyc"}
    assert under(layer, "fake_data_script/") == {"fake_data_script/__init__.py",
                                                "fake_data_script/__pycache__/__init__.cpython-312.pyc"}
    with zipfile.ZipFile(layer) as archive:
        record = archive.read("python/fake_bin_pkg-1.0.dist-info/RECORD").decode()
    assert [row.split(",")[0] for row in record.splitlines()] == [
        "bin/__init__.py", "bin/__pycache__/__init__.cpython-312.pyc", "bin/__pycache__/tool.cpython-312.pyc",
        "bin/tool.py", "fake_bin_pkg-1.0.dist-info/INSTALLER", "fake_bin_pkg-1.0.dist-info/METADATA",
        "fake_bin_pkg-1.0.dist-info/REQUESTED", "fake_bin_pkg-1.0.dist-info/WHEEL", "fake_bin_pkg-1.0.dist-info/RECORD"]


def test_sourceless_bytecode_of_a_kept_distribution_stays_and_imports(core_env, make_project, capsys, tmp_path):
    project = make_project(requirements__txt="fake-sourceless==1.0\n")
    assert build(project, "--python", RUNNING) == 0
    assert errors(capsys.readouterr().err, RUNNING) == ""
    layer = project / LAYER
    # kept: the sourceless module and our .pyc of the source; dropped: the legacy .pyc beside its
    # source and a __pycache__ .pyc whose source is not there
    assert under(layer, "fake_sourceless/") == {
        "fake_sourceless/__init__.py", "fake_sourceless/compiled.pyc", f"fake_sourceless/__pycache__/__init__.{PYC_TAG}.pyc"}
    with zipfile.ZipFile(layer) as archive:
        archive.extractall(tmp_path / "opt")
    imported = subprocess.run([sys.executable, "-E", "-s", "-c", "import fake_sourceless; print(fake_sourceless.VALUE)"],
                              cwd=tmp_path / "opt" / "python", capture_output=True, text=True, check=False)
    assert (imported.returncode, imported.stdout, imported.stderr) == (0, "sourceless\n", "")


def test_sourceless_bytecode_of_another_python_is_refused(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-sourceless==1.0\n")
    assert build(project, "--python", "3.12", "--no-compile") == 1
    magic = int.from_bytes(importlib.util.MAGIC_NUMBER[:2], "little")
    assert capsys.readouterr().err == (
        "error: Sourceless bytecode in the layer is not for Python 3.12, so it cannot be imported on python3.12: "
        f"fake_sourceless/compiled.pyc (magic number {magic}; Python 3.12 reads 3531). A distribution that ships .pyc "
        "without sources must be installed in its release for the target Python: pin that release, or exclude the "
        "distribution (`exclude-packages`, --exclude). Nothing was written; the previous layer zip is unchanged.\n"
    )
    assert not (project / LAYER).exists()


CV2 = {"cv2/__init__.py", "cv2/core.py"}


def test_excluding_one_of_two_owners_keeps_the_files_the_other_needs(offline_env, make_project):
    """The Python API over a tree holding both (the opencv-python / opencv-contrib-python situation)."""
    project = make_project("[tool.lambda-layer]\npython-version = '3.12'\n")
    uv_install(offline_env, project / ARTIFACTS, "fake-opencv", "fake-opencv-contrib")
    result = LambdaLayerZipper(project / "pyproject.toml", LayerBuildToolEnum.pip, ["fake-opencv"], verbose=False).run()
    assert under(result.path, "cv2/") == CV2 | {"cv2/contrib.py"}  # only_main.py was fake-opencv's alone
    assert dists(result.path) == {"fake-opencv-contrib"}
    assert [(dist.name, dist.pattern) for dist in result.excluded] == [("fake-opencv", "fake-opencv")]


def test_excluding_one_of_two_owners_through_the_console_script(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-opencv==1.0\nfake-opencv-contrib==1.0\n")
    assert build(project, "--python", "3.12", "--no-compile", "--exclude", "fake-opencv") == 0
    assert capsys.readouterr().err == ""
    assert under(project / LAYER, "cv2/") == CV2 | {"cv2/contrib.py"}
    assert build(project, "--python", "3.12", "--no-compile", "--exclude", "fake-opencv-contrib") == 0
    assert under(project / LAYER, "cv2/") == CV2 | {"cv2/only_main.py"}


# -- 3. bytecode proves the code parses for the target -----------------------------------------

NEW_SYNTAX = ("fake_new_syntax/aliases.py of fake-new-syntax 1.0 (SyntaxError: invalid syntax at line 1)")


def test_a_module_that_does_not_compile_for_the_target_is_an_error(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-new-syntax==1.0\n")
    assert build(project, "--python", "3.11") == 1
    out, err = capsys.readouterr()
    assert errors(err, "3.11") == (
        f"error: 1 module does not compile with Python 3.11, so importing it on python3.11 fails: {NEW_SYNTAX}. Pin "
        "releases that support Python 3.11 (or target the runtime they need), or exclude their distributions "
        "(`exclude-packages`, --exclude); to ship them as source anyway, set `allow-invalid-python = true` "
        "(--allow-invalid-python). Nothing was written; the previous layer zip is unchanged.\n"
    )
    assert "zip:" not in out and not (project / LAYER).exists()
    assert not (project / ARTIFACTS).exists()  # the staged tree is swapped in only once it is complete
    # valid for python3.12: built, complete, recorded (the test directory is not compiled, so not checked)
    assert build(project, "--python", "3.12") == 0
    assert errors(capsys.readouterr().err, "3.12") == ""
    assert fingerprint_path(project / LAYER).is_file()
    assert "python/fake_new_syntax/__pycache__/aliases.cpython-312.pyc" in names(project / LAYER)


@pytest.mark.parametrize("how", ["flag", "table"])
def test_allow_invalid_python_ships_the_source_as_an_incomplete_layer(core_env, make_project, capsys, how):
    table = "[tool.lambda-layer]\nallow-invalid-python = true\n" if how == "table" else ""
    project = make_project(table, requirements__txt="fake-new-syntax==1.0\n")
    args = ("--allow-invalid-python",) if how == "flag" else ()
    assert build(project, "--python", "3.11", *args) == 0
    err = errors(capsys.readouterr().err, "3.11")
    assert err == (
        f"warning: 1 module does not compile with Python 3.11 and ships as source only (allow-invalid-python): "
        f"{NEW_SYNTAX}; importing it on python3.11 fails.\n"
        "warning: the layer is incomplete (1 of 2 modules are not valid Python for the target and ship as source only "
        "(first: fake_new_syntax/aliases.py: SyntaxError: invalid syntax at line 1)), so it is not recorded as up to "
        "date: the next build rebuilds it. Pin releases that are valid Python 3.11, or exclude them; until then "
        "`allow-invalid-python` ships them as source, on purpose.\n"
    )
    assert under(project / LAYER, "fake_new_syntax/") == {
        "fake_new_syntax/__init__.py", "fake_new_syntax/__pycache__/__init__.cpython-311.pyc", "fake_new_syntax/aliases.py",
        "fake_new_syntax/tests/__init__.py", "fake_new_syntax/tests/test_aliases.py"}
    assert not fingerprint_path(project / LAYER).exists()
    assert build(project, "--python", "3.11", *args) == 0
    assert "up to date" not in capsys.readouterr().out


def test_nothing_is_compiled_so_nothing_is_checked_without_bytecode(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-new-syntax==1.0\n")
    assert build(project, "--python", "3.11", "--no-compile") == 0
    assert errors(capsys.readouterr().err, "3.11") == ""
    assert fingerprint_path(project / LAYER).is_file()


def test_the_setting_must_be_a_boolean(core_env, make_project, capsys):
    project = make_project("[tool.lambda-layer]\nallow-invalid-python = 'yes'\n", requirements__txt="fake-b==1.0\n")
    assert build(project) == 1
    assert capsys.readouterr().err == (
        "error: Field `tool.lambda-layer.allow-invalid-python` must be a boolean (true or false), got 'yes'.\n")

