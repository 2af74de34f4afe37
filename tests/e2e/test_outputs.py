"""The output never replaces what the build did not write, and the small faults around it (issue 18:
case 9, case 18, and case 19's symlinked pyproject.toml, record kept without its zip and
compiling interpreter's patch version).

Every refusal goes through the console script (Poetry and Hatch once each): exit 1, the exact
paragraph, nothing resolved or installed (stdout stops at the target line), and the project's
files exactly as they were, byte for byte, with nothing added. Cases that could hang (a FIFO)
run ``lambda-layer`` in its own process, with a deadline.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable, Dict, Iterator, Optional

import pytest

from shared_core import LambdaLayerZipper, LayerConfig, clean_layer
from shared_core.cli import main
from shared_core.errors import OutputError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pipeline.fingerprint import fingerprint_path, read_fingerprint
from shared_core.support.digests import file_sha256
from shared_core.support.toolchain import find_interpreter
from tests.helpers.builds import LAYER, POETRY_PROJECT, SIX, VERSION, pinned, poetry_lock
from tests.helpers.builds import run_pinned_cli as run_cli
from tests.helpers.layer_assertions import dists
from tests.helpers.paths import REPO_ROOT as CHECKOUT

TARGET_LINE = f"target: python{VERSION} x86_64 (--python)\n"
LAYER_ZIP = "a layer zip (a zip whose every member is under python/)"
OWN_RECORD = "a record this tool wrote (a JSON object with inputs, sha256 and size)"
NOT_OURS = "the build replaces only what it wrote"
NO_LINKS = "the build writes no links, so it neither replaces one nor writes through it"
REQUIREMENTS = "fake-b==1.0\n"


def tree(root: Path) -> Dict[str, object]:
    """Everything under ``root``: a file's bytes, a link's target, what else stands there."""
    found: Dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[name] = ("link", os.readlink(path))
        elif path.is_fifo():
            found[name] = "fifo"
        elif path.is_socket():
            found[name] = "socket"
        elif path.is_dir():
            found[name] = "dir"
        else:
            found[name] = path.read_bytes()
    return found


def refused(project: Path, capsys: pytest.CaptureFixture, *args: str) -> str:
    """The console script's refusal before anything is resolved or installed, with nothing written."""
    before = tree(project)
    assert run_cli(project, *args) == 1
    captured = capsys.readouterr()
    assert captured.out == TARGET_LINE
    assert tree(project) == before
    return captured.err


def layer_zip(path: Path, names: tuple = ("python/mine.py",)) -> bytes:
    """A zip of ``names`` written by another tool (zipfile), at ``path``; its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, "x = 1\n")
    return path.read_bytes()


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    """A pip project whose other files would be swallowed by a careless output: a pyproject.toml and a
    poetry.lock that is not its pin source (``--tool pip`` in every run)."""
    return make_project('[project]\nname = "p"\nversion = "1"\n', requirements__txt=REQUIREMENTS,
                        poetry__lock="# the team's lock\n")


# -- case 9: the project's own inputs ---------------------------------------------------------------


def _hard_link(project: Path) -> str:
    os.link(project / "requirements.txt", project / "copy.zip")
    return "copy.zip"


def _symlink(project: Path) -> str:
    (project / "link.zip").symlink_to(project / "poetry.lock")
    return "link.zip"


@pytest.mark.in_process
@pytest.mark.parametrize("output, role, name", [
    ("pyproject.toml", "pyproject.toml", "pyproject.toml"),
    ("poetry.lock", "lock file", "poetry.lock"),
    ("uv.lock", "lock file", "uv.lock"),  # absent: refused all the same, and not created
    ("requirements.txt", "requirements file", "requirements.txt"),
    ("sub/../requirements.txt", "requirements file", "requirements.txt"),
    (_hard_link, "requirements file", "requirements.txt"),
    (_symlink, "lock file", "poetry.lock"),
], ids=["pyproject", "poetry.lock", "missing uv.lock", "requirements", "another spelling", "hard link", "symlink"])
def test_an_output_on_a_project_input_is_refused(core_env, project, capsys, output, role, name):
    (project / "sub").mkdir()
    output = output(project) if callable(output) else output
    located = project / ("requirements.txt" if output.startswith("sub/") else output)
    err = refused(project, capsys, "--tool", "pip", "--output", output)
    assert err == (f"error: Cannot write the layer to {located}: it is the project's {role} {project / name}, which "
                   "the zip would replace. Change --output.\n")


@pytest.mark.in_process
def test_the_configured_requirements_file_is_an_input(core_env, make_project, capsys):
    project = make_project("[tool.lambda-layer]\nrequirements = 'deps/prod.txt'\n")
    (project / "deps").mkdir()
    (project / "deps/prod.txt").write_text(REQUIREMENTS)
    err = refused(project, capsys, "--tool", "pip", "--output", "deps/prod.txt")
    assert err == (f"error: Cannot write the layer to {project}/deps/prod.txt: it is the project's requirements file "
                   f"{project}/deps/prod.txt, which the zip would replace. Change --output.\n")


@pytest.mark.in_process
def test_an_output_on_the_lock_file_through_poetry(poetry_app, make_project):
    root = make_project(POETRY_PROJECT)
    (root / "poetry.lock").write_bytes(poetry_lock(SIX)(root))
    before = tree(root)
    code, out, err = poetry_app(f"lambda-layer --project {root} --python {VERSION} --output poetry.lock")
    assert (code, out, err) == (1, TARGET_LINE, (
        f"Cannot write the layer to {root}/poetry.lock: it is the project's lock file {root}/poetry.lock, which the "
        "zip would replace. Change --output.\n"))
    assert tree(root) == before


@pytest.mark.in_process
def test_an_output_on_pyproject_through_the_hatch_builder(core_env, tmp_path, capsys):
    from tests.helpers.hatch_projects import in_process_builder, pyproject

    root = tmp_path / "hatch-project"
    builder = in_process_builder(root, pyproject(["fake-a"], target={"output": "pyproject.toml"}))
    before = tree(root)
    with pytest.raises(SystemExit) as exited:
        list(builder.build(directory=str(tmp_path / "out")))
    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"Cannot write the layer to {root}/pyproject.toml: it is the project's pyproject.toml {root}/pyproject.toml, "
        "which the zip would replace. Change Field `tool.hatch.build.targets.lambda-layer.output`."
    )
    assert tree(root) == before


@pytest.mark.in_process
def test_the_api_zipper_refuses_too(core_env, project):
    before = tree(project)
    zipper = LambdaLayerZipper(project / "pyproject.toml", config=LayerConfig(output="requirements.txt"))
    with pytest.raises(OutputError) as error:
        zipper.run()
    assert str(error.value) == (
        f"Cannot write the layer to {project}/requirements.txt: it is the project's requirements file "
        f"{project}/requirements.txt, which the zip would replace. Change `output` in [tool.lambda-layer]."
    )
    assert tree(project) == before


# -- case 9: the build's own files -----------------------------------------------------------------

STAGING = "is a staging folder that every build deletes and replaces"


@pytest.mark.in_process
@pytest.mark.parametrize("output, reason", [
    ("build/lambda/layer/artifacts", "{root}/build/lambda/layer/artifacts " + STAGING),
    ("build/lambda/layer/artifacts/python/layer.zip", "{root}/build/lambda/layer/artifacts " + STAGING),
    ("build/lambda/layer/.staging-x1/layer.zip", "{root}/build/lambda/layer/.staging-x1 " + STAGING),
    ("build/lambda/layer/.lambda-layer.lock", ".lambda-layer.lock is the lock file every build holds in its folders"),
    ("dist/.lambda-layer.lock", ".lambda-layer.lock is the lock file every build holds in its folders"),
    ("build/lambda/layer/.gitignore", "it is the .gitignore that keeps {root}/build/lambda/layer out of git"),
    ("build/lambda/layer/layer.zip.fingerprint.json",
     "names ending in .fingerprint.json are the records a build keeps beside each zip"),
    ("dist/.layer-mine.zip.tmp", "the next build would delete it as a leftover of an interrupted build (the name "
     "matches .layer-*.zip.tmp)"),
    ("dist/.fingerprint-mine.tmp", "the next build would delete it as a leftover of an interrupted build (the name "
     "matches .fingerprint-*.tmp)"),
])
def test_an_output_on_the_builds_own_files_is_refused(core_env, project, capsys, output, reason):
    err = refused(project, capsys, "--tool", "pip", "--output", output)
    assert err == f"error: Cannot write the layer to {project / output}: {reason.format(root=project)}. Change --output.\n"


# -- case 9: what stands at the zip's path, or the record's ------------------------------------------


def _text(path: Path) -> str:
    path.write_text("my notes\n")
    return f"it is a file that is not {LAYER_ZIP}: {NOT_OURS}"


def _zip_with_a_file_outside_python(path: Path) -> str:
    layer_zip(path, ("python/mine.py", "README.txt"))
    return f"it is a file that is not {LAYER_ZIP}: {NOT_OURS}"


def _empty_zip(path: Path) -> str:
    layer_zip(path, ())
    return f"it is a file that is not {LAYER_ZIP}: {NOT_OURS}"


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return f"it is a FIFO (named pipe), not {LAYER_ZIP}: {NOT_OURS}"


def _socket(path: Path) -> str:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
    return f"it is a socket, not {LAYER_ZIP}: {NOT_OURS}"


def _link_to_a_layer_zip(path: Path) -> str:
    target = path.parent.parent / "elsewhere.zip"
    layer_zip(target)
    path.symlink_to(target)
    return f"it is a symbolic link (to {target}): {NO_LINKS}"


def _dangling_link(path: Path) -> str:
    path.symlink_to("missing.zip")
    return f"it is a symbolic link (to missing.zip): {NO_LINKS}"


@pytest.mark.in_process
@pytest.mark.parametrize("make", [_text, _zip_with_a_file_outside_python, _empty_zip, _fifo, _socket,
                                  _link_to_a_layer_zip, _dangling_link])
def test_what_is_not_a_layer_zip_is_never_replaced(core_env, make_project, capsys, make):
    project = make_project(requirements__txt=REQUIREMENTS)
    (project / "d").mkdir()  # a short path: a socket's name is limited to about 100 bytes
    output = project / "d/l.zip"
    reason = make(output)
    err = refused(project, capsys, "--output", "d/l.zip")
    assert err == f"error: Cannot write the layer to {output}: {reason}. Move it away or change --output.\n"


@pytest.mark.in_process
def test_a_directory_at_the_default_path_is_refused_before_installing(core_env, make_project, capsys):
    """The zip replaced by a directory (case 19) failed every build after installing, --force too.
    (A directory at ``--output`` means "put layer.zip in it".)"""
    project = make_project(requirements__txt=REQUIREMENTS)
    (project / LAYER).mkdir(parents=True)
    (project / LAYER / "mine.txt").write_text("keep")
    for args in ((), ("--force",)):
        err = refused(project, capsys, *args)
        assert err == (
            f"error: Cannot write the layer to {project / LAYER}: it is a directory, not {LAYER_ZIP}: {NOT_OURS}. Move "
            "it away or set `output` in [tool.lambda-layer] or pass --output to a writable place.\n")


def _foreign_text(path: Path) -> str:
    path.write_text("my notes\n")
    return f"it is a file that is not {OWN_RECORD}: {NOT_OURS}"


def _json_list(path: Path) -> str:
    path.write_text('["inputs", "sha256", "size"]')
    return f"it is a file that is not {OWN_RECORD}: {NOT_OURS}"


def _json_without_our_keys(path: Path) -> str:
    path.write_text('{"inputs": "0", "size": 1}')
    return f"it is a file that is not {OWN_RECORD}: {NOT_OURS}"


def _record_link(path: Path) -> str:
    target = path.parent / "real.json"
    target.write_text('{"inputs": "0", "sha256": "0", "size": 1}')
    path.symlink_to(target)
    return f"it is a symbolic link (to {target}): {NO_LINKS}"


def _record_directory(path: Path) -> str:
    path.mkdir()
    return f"it is a directory, not {OWN_RECORD}: {NOT_OURS}"


@pytest.mark.in_process
@pytest.mark.parametrize("make", [_foreign_text, _json_list, _json_without_our_keys, _record_link, _record_directory])
@pytest.mark.parametrize("zip_there", [False, True], ids=["no zip", "beside our zip"])
def test_what_is_not_our_record_is_never_replaced(core_env, make_project, capsys, make, zip_there):
    project = make_project(requirements__txt=REQUIREMENTS)
    (project / "dist").mkdir()
    output = project / "dist/layer.zip"
    if zip_there:
        assert run_cli(project, "--output", "dist/layer.zip") == 0
        capsys.readouterr()
        fingerprint_path(output).unlink()
    reason = make(fingerprint_path(output))
    err = refused(project, capsys, "--output", "dist/layer.zip", "--force")
    assert err == (f"error: Cannot write the layer's record to {fingerprint_path(output)}: {reason}. Move it away or "
                   "change --output.\n")


# -- case 9: what is ours is replaced ----------------------------------------------------------------


@pytest.mark.in_process
def test_a_second_build_over_our_own_zip_works(core_env, make_project, capsys):
    project = make_project(requirements__txt=REQUIREMENTS)
    output = project / "dist/layer.zip"
    assert run_cli(project, "--output", "dist/layer.zip") == 0
    first = output.read_bytes()
    assert run_cli(project, "--output", "dist/layer.zip", "--force") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == str(output) and "\nzip: " in out  # rebuilt, not "up to date"
    assert output.read_bytes() == first
    assert json.loads(fingerprint_path(output).read_text())["sha256"] == hashlib.sha256(first).hexdigest()


@pytest.mark.in_process
@pytest.mark.parametrize("damage", ["another tool's layer zip", "our zip cut short"])
def test_a_layer_zip_at_the_output_is_replaced(core_env, make_project, capsys, damage):
    """A layer zip is recognised by its shape, not by who wrote it; one cut short by its first entry."""
    project = make_project(requirements__txt=REQUIREMENTS)
    output = project / "dist/layer.zip"
    if damage == "our zip cut short":
        assert run_cli(project, "--output", "dist/layer.zip") == 0
        output.write_bytes(output.read_bytes()[:100])  # no central directory left
        fingerprint_path(output).unlink()
    else:
        layer_zip(output, ("python/", "python/old.py"))
    capsys.readouterr()
    assert run_cli(project, "--output", "dist/layer.zip") == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(output)
    assert dists(output) == {"fake-b"}


# -- case 19: a record kept without its zip ------------------------------------------------------------


def recorded_digests(zip_path: Path) -> dict:
    """The record's digests and size: what a rebuild of the same inputs writes again (its file state is the new file's)."""
    record = json.loads(fingerprint_path(zip_path).read_text())
    return {key: value for key, value in record.items() if key != "state"}


@pytest.mark.in_process
@pytest.mark.parametrize("output", [None, "dist/layer.zip"], ids=["default", "elsewhere"])
def test_a_record_kept_without_its_zip_rebuilds(core_env, make_project, capsys, output):
    project = make_project(requirements__txt=REQUIREMENTS)
    args = ("--output", output) if output else ()
    zip_path = project / (output or LAYER)
    assert run_cli(project, *args) == 0
    first, record = zip_path.read_bytes(), recorded_digests(zip_path)
    zip_path.unlink()
    capsys.readouterr()
    assert run_cli(project, *args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == str(zip_path) and "\nzip: " in out
    assert (zip_path.read_bytes(), recorded_digests(zip_path)) == (first, record)


@pytest.mark.in_process
def test_a_record_kept_with_a_directory_for_its_zip_is_refused_then_rebuilds(core_env, make_project, capsys):
    """Refused before installing, naming the directory; once it is gone, rebuilt."""
    project = make_project(requirements__txt=REQUIREMENTS)
    zip_path = project / LAYER
    assert run_cli(project) == 0
    first, record = zip_path.read_bytes(), recorded_digests(zip_path)
    zip_path.unlink()
    zip_path.mkdir()
    capsys.readouterr()
    err = refused(project, capsys)
    assert err.startswith(f"error: Cannot write the layer to {zip_path}: it is a directory, not {LAYER_ZIP}")
    zip_path.rmdir()
    assert run_cli(project) == 0
    assert (zip_path.read_bytes(), recorded_digests(zip_path)) == (first, record)


# -- Hatch's clean removes only what a build wrote ------------------------------------------------------


@pytest.mark.in_process
def test_clean_removes_our_outputs_elsewhere_and_nothing_else(core_env, make_project):
    project = make_project(requirements__txt=REQUIREMENTS)
    output = project / "dist/layer.zip"
    assert run_cli(project, "--output", "dist/layer.zip") == 0
    assert clean_layer(project, [output]) == [project / "build/lambda/layer", output, fingerprint_path(output),
                                              project / "dist/layer.zip.json", project / "build/lambda"]
    assert sorted(path.relative_to(project).as_posix() for path in project.rglob("*")) == [
        "build", "dist", "dist/.lambda-layer.lock", "requirements.txt"]  # build/ may hold others' files; locks stay
    mine = {output: b"PK\x05\x06" + bytes(18), fingerprint_path(output): b'["mine"]'}  # an empty zip, a JSON list
    for path, data in mine.items():
        path.write_bytes(data)
    assert clean_layer(project, [output]) == []
    assert {path: path.read_bytes() for path in mine} == mine
    for path in mine:
        path.unlink()
    kept = layer_zip(project / "kept.zip")
    (project / "kept.json").write_text('{"inputs": "0", "sha256": "0", "size": 1}')  # a record of ours, elsewhere
    output.symlink_to(project / "kept.zip")  # links to a layer zip and to a record are not ours either
    fingerprint_path(output).symlink_to(project / "kept.json")
    assert clean_layer(project, [output]) == []
    assert [os.readlink(output), os.readlink(fingerprint_path(output))] == [str(project / "kept.zip"), str(project / "kept.json")]
    assert (project / "kept.zip").read_bytes() == kept


# -- case 19: a symlinked pyproject.toml ------------------------------------------------------------------


@pytest.mark.in_process
@pytest.mark.parametrize("how", ["--project folder", "--project file", "working directory"])
def test_a_symlinked_pyproject_builds_in_its_own_folder(core_env, make_project, capsys, monkeypatch, how):
    """The project is the folder the pyproject.toml path is in; the link is followed only to read it."""
    other = make_project('[tool.lambda-layer]\npython-version = "3.12"\n', name="other", requirements__txt="fake-a==1.0\n")
    mine = make_project(name="mine", requirements__txt=REQUIREMENTS)
    (mine / "pyproject.toml").symlink_to(other / "pyproject.toml")
    before = tree(other)
    if how == "working directory":
        monkeypatch.chdir(mine)
        code = main(["build"])
    else:
        code = main(["build", "--project", str(mine if how == "--project folder" else mine / "pyproject.toml")])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert (out[0], out[-1]) == ("target: python3.12 x86_64 (python-version from [tool.lambda-layer])", str(mine / LAYER))
    assert dists(mine / LAYER) == {"fake-b"}  # this folder's requirements, into this folder's build/
    assert tree(other) == before


# -- case 19: the compiling interpreter's X.Y.Z ------------------------------------------------------------


@pytest.mark.in_process
def test_a_new_patch_release_of_the_compiling_interpreter_rebuilds(core_env, make_project, capsys, monkeypatch, tmp_path):
    """A virtualenv of the real interpreter, first on PATH, whose ``platform.python_version()`` a .pth
    file then changes: the same compiler, another reported X.Y.Z, so a rebuild with the same bytes."""
    real = find_interpreter(LambdaTarget.create(VERSION, "x86_64"))
    assert real is not None, f"the tests need a Python {VERSION} (PATH, pyenv or uv)"
    venv = tmp_path / "venv"
    subprocess.run([real, "-m", "venv", "--without-pip", str(venv)], check=True)
    monkeypatch.setenv("PATH", f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    python = venv / "bin" / f"python{VERSION}"
    project = make_project(requirements__txt=REQUIREMENTS)
    up_to_date = f"{TARGET_LINE}Layer is up to date (inputs unchanged; --force rebuilds).\n{project / LAYER}\n"

    assert run_cli(project) == 0
    capsys.readouterr()
    first, digest = (project / LAYER).read_bytes(), read_fingerprint(project / LAYER)
    assert run_cli(project) == 0
    assert capsys.readouterr().out == up_to_date
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "patch_release.pth").write_text("import platform; platform.python_version = lambda: '3.12.99'\n")
    said = subprocess.run([python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True)
    assert said.stdout == "3.12.99\n"

    assert run_cli(project) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[3].startswith(f"compile: 1 unchecked-hash .pyc for Python {VERSION}"), out
    assert (project / LAYER).read_bytes() == first  # the same compiler wrote the same bytes
    assert read_fingerprint(project / LAYER) not in (None, digest)
    assert run_cli(project) == 0
    assert capsys.readouterr().out == up_to_date


# -- case 18: no wait without end --------------------------------------------------------------------------


def console(project: Optional[Path], env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``lambda-layer build`` in its own process, which must finish within a minute."""
    command = [sys.executable, "-c", "import sys; from shared_core.cli import main; sys.exit(main())", "build",
               *(("--project", str(project)) if project else ()), *pinned(args)]
    return subprocess.run(command, env=dict(env, PYTHONPATH=str(CHECKOUT)), capture_output=True, text=True, timeout=60)


@pytest.mark.subprocess
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_lock_timeout_that_never_ends_is_refused(core_env, make_project, value):
    import fcntl

    project = make_project(requirements__txt=REQUIREMENTS)
    lock = project / "build/lambda/layer/.lambda-layer.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as holder:  # another build holds the lock: nan or inf would wait for ever
        fcntl.flock(holder, fcntl.LOCK_EX)
        completed = console(project, dict(core_env, LAMBDA_LAYER_LOCK_TIMEOUT=value))
    assert (completed.returncode, completed.stdout, completed.stderr) == (1, TARGET_LINE, (
        f"error: LAMBDA_LAYER_LOCK_TIMEOUT must be a finite number of seconds (0 or more), got {value!r}.\n"))
    assert sorted(path.name for path in lock.parent.iterdir()) == [".lambda-layer.lock"]


def _fifo_record(project: Path) -> str:
    os.mkfifo(fingerprint_path(project / LAYER))
    return (f"Cannot write the layer's record to {fingerprint_path(project / LAYER)}: it is a FIFO (named pipe), not "
            f"{OWN_RECORD}: {NOT_OURS}. Move it away or set `output` in [tool.lambda-layer] or pass --output to a "
            "writable place.")


def _fifo_lock(project: Path) -> str:
    lock = project / "build/lambda/layer/.lambda-layer.lock"
    lock.unlink(missing_ok=True)  # the regular file a build left
    os.mkfifo(lock)
    return (f"{lock} is a FIFO (named pipe), not the lock file builds keep there, and the build does not remove what "
            "it did not write. Remove it and build again.")


def _fifo_requirements(project: Path) -> str:
    (project / "requirements.txt").unlink()
    os.mkfifo(project / "requirements.txt")
    return (f"{project}/requirements.txt is a FIFO (named pipe), not a file. A requirements file must be UTF-8 text: "
            "fix or regenerate it.")


def _fifo_pyproject(project: Path) -> str:
    os.mkfifo(project / "pyproject.toml")
    return (f"{project}/pyproject.toml is a FIFO (named pipe), not a file. Replace it with the project's "
            "pyproject.toml, a UTF-8 TOML file.")


@pytest.mark.subprocess
@pytest.mark.parametrize("make, target_said", [(_fifo_record, True), (_fifo_lock, True), (_fifo_requirements, True),
                                               (_fifo_pyproject, False)])
@pytest.mark.parametrize("built", [False, True], ids=["first build", "over a built layer"])
def test_a_fifo_never_blocks_the_build(core_env, make_project, make, target_said, built):
    project = make_project(requirements__txt=REQUIREMENTS)
    if built:
        assert console(project, core_env).returncode == 0
        fingerprint_path(project / LAYER).unlink()
    (project / LAYER).parent.mkdir(parents=True, exist_ok=True)
    message = make(project)
    before = tree(project)
    completed = console(project, core_env)
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        1, TARGET_LINE if target_said else "", f"error: {message}\n")
    assert tree(project) == before


@pytest.mark.in_process
def test_reading_a_fifo_record_returns_at_once(tmp_path):
    """What publish reads: a FIFO where the record belongs is no record (and no wait)."""
    from shared_core.pipeline.fingerprint import is_up_to_date

    layer = tmp_path / "layer.zip"
    layer_zip(layer)
    os.mkfifo(fingerprint_path(layer))
    with deadline(5):
        assert (read_fingerprint(layer), is_up_to_date(layer, {"a": 1})) == (None, False)


@pytest.mark.in_process
def test_a_link_at_the_zip_path_is_never_up_to_date(tmp_path):
    """The record may match the file a link points to; a link is still not the zip this tool wrote."""
    from shared_core.pack.manifest import write_manifest
    from shared_core.pipeline.fingerprint import is_up_to_date, write_fingerprint
    from tests.helpers.manifests import sample_manifest

    layer_zip(tmp_path / "real.zip")
    write_fingerprint(tmp_path / "real.zip", {"a": 1}, file_sha256(tmp_path / "real.zip"),
                      write_manifest(tmp_path / "layer.zip", sample_manifest()))
    (tmp_path / "layer.zip").symlink_to(tmp_path / "real.zip")
    fingerprint_path(tmp_path / "real.zip").rename(fingerprint_path(tmp_path / "layer.zip"))
    assert (is_up_to_date(tmp_path / "layer.zip", {"a": 1}), is_up_to_date(tmp_path / "layer.zip", {"a": 2})) == (False, False)
    (tmp_path / "layer.zip").unlink()
    (tmp_path / "real.zip").rename(tmp_path / "layer.zip")
    assert is_up_to_date(tmp_path / "layer.zip", {"a": 1}) is True


class StillWaiting(Exception):
    """Not an OSError (as TimeoutError is), so no ``except OSError`` around a blocking open swallows it."""


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Turn a hang into a failure (SIGALRM)."""
    def expired(signum: int, frame: object) -> None:
        raise StillWaiting(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
