"""Every pin source means what its own tool means by it (issue 18, cases 1-5, 12 and 19).

A requirements file is pip's: resolved for the target unless it is a complete hash-pinned set,
conflicts refused. A lockless resolution only picks releases that install on the target. A
project's sources and indexes bind its packages (never the public twin of a private package),
uv workspaces build from the root's lock, a managed project without its lock is an error, and
markers see the Python Lambda runs (a patch release, not X.Y.0).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from shared_core.cli import main
from shared_core.support.toolchain import find_uv
from tests.helpers.builds import poetry_lock
from tests.helpers.layer_assertions import dists
from tests.helpers.wheelfactory import wheel_sha256

LAYER = Path("build/lambda/layer/layer.zip")


def build(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), "--no-compile", *args])


def read_member(project: Path, member: str) -> str:
    with zipfile.ZipFile(project / LAYER) as archive:
        return archive.read(member).decode()


def dist_infos(project: Path) -> set:
    with zipfile.ZipFile(project / LAYER) as archive:
        return {name.split("/")[1] for name in archive.namelist() if ".dist-info/" in name}


def hashed(wheelhouse: Path, name: str, version: str, filename: str) -> str:
    return f"{name}=={version} --hash=sha256:{wheel_sha256(wheelhouse, filename)}\n"


@pytest.fixture
def index_env(core_env, index_url, monkeypatch):
    """The loopback indexes must be reachable (the session is otherwise offline, wheelhouse only); what is
    bound to none of them is looked up in the loopback index too, never on PyPI."""
    monkeypatch.delenv("UV_OFFLINE")
    monkeypatch.setenv("UV_DEFAULT_INDEX", index_url)
    return core_env


def uv(project: Path, *args: str, env=None) -> None:
    import os

    subprocess.run([find_uv(), *args], cwd=project, env=env or dict(os.environ), check=True, capture_output=True, timeout=120)


# -- 1, 2: a requirements file means what it means to pip ------------------------------------------


@pytest.mark.in_process
def test_top_level_pins_get_their_dependencies(core_env, make_project, capsys):
    """The most common hand-written file: `fake-a==1.0` alone; fake-a needs fake-b."""
    project = make_project(requirements__txt="fake-a==1.0\n")
    assert build(project, "--python", "3.12") == 0
    resolve = capsys.readouterr().out.splitlines()[1]
    assert resolve.startswith("resolve: 2 pins from requirements.txt (1 named there, 1 added) for python3.12 x86_64 ")
    assert dists(project / LAYER) == {"fake-a", "fake-b"}


@pytest.mark.in_process
def test_pins_are_kept_exactly_while_dependencies_are_added(core_env, make_project):
    project = make_project(requirements__txt="fake-versioned==1.0\nrequests==2.32.3\n")
    assert build(project, "--python", "3.12") == 0
    assert read_member(project, "python/fake_versioned/__init__.py") == "VERSION = 1\n"
    assert dists(project / LAYER) == {"fake-versioned", "requests", "fake-b"}  # urllib3: the runtime's


@pytest.mark.in_process
def test_two_pins_of_one_distribution_are_a_conflict(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-versioned==1.0\nfake-b==1.0\nFake_Versioned==2.0\n")
    assert build(project, "--python", "3.12") == 1
    assert capsys.readouterr().err == (
        "error: requirements.txt pins Fake_Versioned twice with different versions: `fake-versioned==1.0` and "
        "`Fake_Versioned==2.0`. pip refuses such a file as a conflict; keep the one you mean and build again.\n"
    )
    assert not (project / LAYER).exists()


@pytest.mark.in_process
def test_a_hash_pinned_set_is_installed_as_written(core_env, make_project, wheelhouse, capsys):
    """pip's own spelling `--hash sha256:X` (a space, not `=`) is read too."""
    line = hashed(wheelhouse, "fake-b", "1.0", "fake_b-1.0-py3-none-any.whl").replace("--hash=", "--hash ")
    project = make_project(requirements__txt=line)
    assert build(project, "--python", "3.12") == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("resolve: 1 pin from requirements.txt for python3.12")
    assert dists(project / LAYER) == {"fake-b"}


@pytest.mark.in_process
def test_a_hash_pinned_set_with_a_loose_line_is_refused(core_env, make_project, wheelhouse, capsys):
    project = make_project(requirements__txt=hashed(wheelhouse, "fake-b", "1.0", "fake_b-1.0-py3-none-any.whl") + "fake-c>=1\n")
    assert build(project, "--python", "3.12") == 1
    assert capsys.readouterr().err == (
        "error: requirements.txt is hash-pinned (pip's --require-hashes mode), so every line must be an exact "
        "`name==version` pin with --hash, but `fake-c>=1` is not. Pin it exactly with its hash (`uv pip compile "
        "--generate-hashes` writes the complete set), or remove every --hash to let the build resolve the file.\n"
    )


# -- 5: a lockless resolution only picks what installs on the target ---------------------------------


@pytest.mark.in_process
def test_a_lockless_resolution_picks_a_release_with_a_wheel_for_the_target(core_env, make_project):
    """fake-glibc 2.0 is newer but its only wheel needs glibc 2.28 (python3.11 runs on 2.26), and its sdist
    may not be built: 1.0 is the release that installs."""
    project = make_project(requirements__txt="fake-glibc>=1\n")
    assert build(project, "--python", "3.11") == 0
    assert "fake_glibc-1.0.dist-info" in dist_infos(project)


@pytest.mark.in_process
@pytest.mark.parametrize("hash_pinned", [False, True], ids=["resolved", "hash-pinned"])
def test_a_pin_without_a_wheel_names_the_newest_release_that_has_one(core_env, make_project, wheelhouse, capsys,
                                                                      hash_pinned):
    """The resolver (a plain pin) and the installer (a hash-pinned one) say it the same way."""
    pin = hashed(wheelhouse, "fake-glibc", "2.0", "fake_glibc-2.0.tar.gz") if hash_pinned else "fake-glibc==2.0\n"
    project = make_project(requirements__txt=pin)
    assert build(project, "--python", "3.11") == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: No wheel for the target runtime (python3.11 x86_64 (manylinux, glibc 2.26)) for: fake-glibc 2.0 "
        "(newest release with a wheel for it: 1.0). Needed tags: cp311/abi3/py3, manylinux_2_26_x86_64 or older "
        "manylinux, or any. Ways out: pin a version that publishes wheels for this runtime; for a pure-Python "
        'package, allow its sdist with `allow-sdist = ["fake-glibc"]` in [tool.lambda-layer]; or build on the '
        "target platform."
    )


# -- 12: markers see the Python Lambda runs ---------------------------------------------------------


PATCHLEVEL_PROJECT = """\
[project]
name = "patchlevel"
version = "1"
requires-python = ">=3.11"
dependencies = ["fake-patchlevel"]
"""


@pytest.mark.in_process
@pytest.mark.parametrize("source", ["requirements", "hash-pinned requirements", "dependency list", "uv.lock"])
def test_a_patch_level_marker_holds_for_every_pin_source(core_env, make_project, wheelhouse, source):
    """`fake-c; python_full_version >= "3.12.1"`: true on Lambda's python3.12, whichever source evaluates it."""
    if source == "requirements":
        project = make_project(requirements__txt="fake-patchlevel==1.0\n")
    elif source == "hash-pinned requirements":
        project = make_project(requirements__txt=(
            hashed(wheelhouse, "fake-patchlevel", "1.0", "fake_patchlevel-1.0-py3-none-any.whl")
            + hashed(wheelhouse, "fake-c", "1.0", "fake_c-1.0-py3-none-any.whl").replace(
                " --hash", ' ; python_full_version >= "3.12.1" --hash')))
    else:
        project = make_project(PATCHLEVEL_PROJECT + ("[tool.uv]\n" if source == "uv.lock" else ""))
        if source == "uv.lock":
            uv(project, "lock")
    assert build(project, "--python", "3.12", *(("--tool", "hatch") if source == "dependency list" else ())) == 0
    assert dists(project / LAYER) == {"fake-patchlevel", "fake-c"}


@pytest.mark.in_process
def test_a_patch_level_marker_holds_in_a_poetry_lock_through_poetry(poetry_app, make_project):
    """Poetry's own walk of its lock evaluates the same marker for Lambda's python3.12 (a patch release)."""
    project = make_project(PATCHLEVEL_PROJECT + "[tool.poetry]\npackage-mode = false\n")
    (project / "poetry.lock").write_bytes(poetry_lock(
        '[[package]]\nname = "fake-patchlevel"\nversion = "1.0"\ngroups = ["main"]\n\n[package.dependencies]\n'
        'fake-c = {version = "*", markers = "python_full_version >= \\"3.12.1\\""}\n\n'
        '[[package]]\nname = "fake-c"\nversion = "1.0"\ngroups = ["main"]\nmarkers = "python_full_version >= \\"3.12.1\\""\n'
    )(project))
    code, _, err = poetry_app(f"lambda-layer --project {project} --python 3.12")
    assert code == 0, err
    assert dists(project / LAYER) == {"fake-patchlevel", "fake-c"}


# -- 5: a managed project without its lock ------------------------------------------------------------


@pytest.mark.in_process
@pytest.mark.parametrize("manager, table", [
    ("poetry", "[tool.poetry]\npackage-mode = false\n"),
    ("poetry", '[build-system]\nrequires = ["poetry-core>=2"]\nbuild-backend = "poetry.core.masonry.api"\n'),
    ("uv", "[tool.uv]\npackage = false\n"),
])
def test_a_managed_project_without_its_lock_is_an_error(core_env, make_project, capsys, manager, table):
    project = make_project('[project]\nname = "managed"\nversion = "1"\ndependencies = ["fake-b"]\n' + table)
    assert build(project, "--python", "3.12") == 1
    lock = "poetry.lock" if manager == "poetry" else "uv.lock"
    assert capsys.readouterr().err == (
        f"error: {project} is a {manager}-managed project without its {lock}, so its locked runtime set is unknown. "
        f"Run `{manager} lock` in {project} and build again; or pass --tool hatch to resolve [project.dependencies] "
        "for the target without a lock, on purpose.\n"
    )
    assert not (project / LAYER).exists()
    assert build(project, "--python", "3.12", "--tool", "hatch") == 0
    assert dists(project / LAYER) == {"fake-b"}


@pytest.mark.in_process
def test_a_lock_from_a_newer_poetry_is_refused(core_env, make_project, capsys):
    project = make_project("[tool.poetry]\npackage-mode = false\n",
                           poetry__lock='[metadata]\nlock-version = "3.0"\ncontent-hash = "x"\n')
    assert build(project, "--python", "3.12") == 1
    assert capsys.readouterr().err == (
        f"error: {project / 'poetry.lock'} has lock-version 3.0, written by a newer Poetry than this tool reads (lock "
        "format 2.x). Its meaning may differ, so it is not guessed at: update lambda-layer-build, or run `poetry "
        "lock` with Poetry 2.\n"
    )


@pytest.mark.in_process
def test_a_lock_from_a_newer_poetry_is_refused_through_poetry(poetry_app, make_project):
    """Poetry reads its lock before our command does and refuses it itself: one line naming the file and the fix,
    nothing built."""
    project = make_project(PATCHLEVEL_PROJECT + "[tool.poetry]\npackage-mode = false\n",
                           poetry__lock='[metadata]\nlock-version = "3.0"\ncontent-hash = "x"\n')
    code, out, err = poetry_app(f"lambda-layer --project {project} --python 3.12")
    assert (code, out) == (1, "")
    assert err == (f"{project / 'poetry.lock'}: The lock file is not compatible with the current version of Poetry. "
                   "Upgrade Poetry to be able to read the lock file or, alternatively, regenerate the lock file with "
                   "the `poetry lock` command.\n")
    assert not (project / "build").exists()


# -- 3: a project's own sources and indexes bind its packages -------------------------------------------


def sources_project(shadow_index_url: str) -> str:
    return f"""\
[project]
name = "bound"
version = "1"
requires-python = ">=3.11"
dependencies = ["fake-confused", "fake-a"]

[tool.uv.sources]
fake-confused = {{ index = "private" }}

[[tool.uv.index]]
name = "private"
url = "{shadow_index_url}"
explicit = true
"""


@pytest.mark.in_process
def test_uv_sources_without_a_lock_are_honoured_on_purpose_only(index_env, make_project, shadow_index_url, capsys):
    """The public wheelhouse has a `fake-confused 1.0` too: the private one is the one packed."""
    project = make_project(sources_project(shadow_index_url))
    assert build(project, "--python", "3.12") == 1  # uv-managed, no uv.lock
    assert "uv-managed project without its uv.lock" in capsys.readouterr().err
    assert build(project, "--python", "3.12", "--tool", "hatch") == 0
    assert read_member(project, "python/fake_confused/__init__.py") == "ORIGIN = 'private'\n"
    assert dists(project / LAYER) == {"fake-confused", "fake-a", "fake-b"}


@pytest.mark.in_process
def test_a_uv_lock_pin_comes_from_its_own_index(index_env, make_project, shadow_index_url):
    """uv export drops the per-package index; without it, the public twin's hash would not match."""
    project = make_project(sources_project(shadow_index_url))
    uv(project, "lock")
    assert build(project, "--python", "3.12") == 0
    assert read_member(project, "python/fake_confused/__init__.py") == "ORIGIN = 'private'\n"


@pytest.mark.subprocess
def test_the_hatch_builder_honours_uv_sources(index_env, make_project, shadow_index_url):
    project = make_project(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n' + sources_project(shadow_index_url)
        + '\n[tool.hatch.build.targets.lambda-layer]\npython-version = "3.12"\ncompile-bytecode = false\n')
    completed = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "lambda-layer"], cwd=project,
                               env=index_env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert read_member(project, "python/fake_confused/__init__.py") == "ORIGIN = 'private'\n"


# -- 4, 19: uv workspaces, path dependencies, `name @ file://` --------------------------------------------


MEMBER = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n[project]\nname = "fake-c"\nversion = "7.0"\n'


@pytest.fixture
def workspace(core_env, seed_wheels, tmp_path, monkeypatch) -> Path:
    """A root with two members: `app` (the function's project) needs `fake-c`, which is a *member* here
    while the wheelhouse has a public `fake-c` too."""
    monkeypatch.setenv("UV_FIND_LINKS", f"{core_env['UV_FIND_LINKS']},{seed_wheels}")  # hatchling, to build the member
    root = tmp_path / "ws"
    (root / "packages/app").mkdir(parents=True)
    (root / "packages/lib/fake_c").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "root"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["fake-c"]\n'
        '[tool.uv.workspace]\nmembers = ["packages/*"]\n[tool.uv.sources]\nfake-c = { workspace = true }\n')
    (root / "packages/app/pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["fake-c", "fake-a"]\n'
        '[tool.uv.sources]\nfake-c = { workspace = true }\n')
    (root / "packages/lib/pyproject.toml").write_text(MEMBER + 'dependencies = ["six"]\n')
    (root / "packages/lib/fake_c/__init__.py").write_text("MEMBER = True\n")
    uv(root, "lock")
    return root


@pytest.mark.in_process
@pytest.mark.parametrize("where, args", [
    ("packages/app", ()), ("packages/app", ("--tool", "uv")), (".", ()),
])
def test_a_workspace_member_builds_from_the_roots_lock(workspace, capsys, where, args):
    project = workspace / where
    assert build(project, "--python", "3.12", *args) == 0
    layer = project / LAYER
    assert read_member(project, "python/fake_c/__init__.py") == "MEMBER = True\n"  # the member, not the public fake-c
    assert "fake_c-7.0.dist-info" in dist_infos(project)
    expected = {"fake-c", "six"} | ({"fake-a", "fake-b"} if where != "." else set())
    assert dists(layer) == expected
    with zipfile.ZipFile(layer) as archive:
        assert [name for name in archive.namelist() if name.endswith("direct_url.json")] == []  # no scratch path


@pytest.mark.in_process
def test_a_member_without_the_roots_lock_says_where_to_lock(workspace, capsys):
    (workspace / "uv.lock").unlink()
    assert build(workspace / "packages/app", "--python", "3.12") == 1
    assert capsys.readouterr().err == (
        f"error: {workspace / 'packages/app'} is a uv-managed project without its uv.lock, so its locked runtime set "
        f"is unknown. Run `uv lock` in {workspace} and build again; or pass --tool hatch to resolve "
        "[project.dependencies] for the target without a lock, on purpose.\n"
    )


@pytest.mark.in_process
def test_a_local_path_requirement_is_built_and_installed(core_env, seed_wheels, make_project, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UV_FIND_LINKS", f"{core_env['UV_FIND_LINKS']},{seed_wheels}")
    local = tmp_path / "local-c"
    (local / "fake_c").mkdir(parents=True)
    (local / "pyproject.toml").write_text(MEMBER)
    (local / "fake_c/__init__.py").write_text("MEMBER = True\n")
    project = make_project(requirements__txt=f"fake-c @ {local.as_uri()}\nfake-b==1.0\n")
    assert build(project, "--python", "3.12") == 0
    assert read_member(project, "python/fake_c/__init__.py") == "MEMBER = True\n"
    assert dists(project / LAYER) == {"fake-c", "fake-b"}

    (local / "fake_c/__init__.py").write_text("MEMBER = 2\n")  # the path's content is an input: rebuilt
    assert build(project, "--python", "3.12") == 0
    assert read_member(project, "python/fake_c/__init__.py") == "MEMBER = 2\n"

    (project / "requirements.txt").write_text(f"fake-c @ {(tmp_path / 'gone').as_uri()}\n")
    capsys.readouterr()
    assert build(project, "--python", "3.12") == 1
    assert capsys.readouterr().err == (
        f"error: requirements.txt names the local distribution {tmp_path / 'gone'}, which does not exist. Fix the "
        "path (relative paths are relative to the file that names them) or remove the dependency.\n"
    )


@pytest.mark.in_process
def test_a_remote_direct_reference_is_refused_by_name(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-c @ https://example.invalid/fake_c-1.0-py3-none-any.whl\n")
    assert build(project, "--python", "3.12") == 1
    assert capsys.readouterr().err == (
        "error: requirements.txt: `fake-c @ https://example.invalid/fake_c-1.0-py3-none-any.whl` is a direct URL, which "
        "a layer build does not download: a layer holds index releases and local paths only. Publish it to an index "
        "(and pin it), or download it and name the local file or folder instead.\n"
    )


@pytest.mark.subprocess
def test_a_poetry_path_dependency_is_built_and_installed(index_env, seed_wheels, index_url, tmp_path, monkeypatch):
    """poetry.lock records `source = {type = "directory", url = "../local-c"}`: built from there, never the
    index's fake-c; its own dependency (six) comes from the lock like any other pin."""
    local = tmp_path / "local-c"
    (local / "fake_c").mkdir(parents=True)
    (local / "pyproject.toml").write_text(MEMBER + 'dependencies = ["six"]\n')
    (local / "fake_c/__init__.py").write_text("MEMBER = True\n")
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["fake-b", "fake-c"]\n'
        '[tool.poetry]\npackage-mode = false\n[tool.poetry.dependencies]\nfake-c = { path = "../local-c" }\n'
        f'[[tool.poetry.source]]\nname = "fixture"\nurl = "{index_url}"\npriority = "primary"\n')
    lock_env = {key: value for key, value in index_env.items() if key not in ("UV_FIND_LINKS", "PIP_NO_INDEX", "PIP_FIND_LINKS")}
    subprocess.run([sys.executable, "-m", "poetry", "lock"], cwd=project, env=dict(lock_env, POETRY_VIRTUALENVS_CREATE="false"),
                   check=True, capture_output=True, timeout=300)
    monkeypatch.setenv("UV_FIND_LINKS", str(seed_wheels))  # hatchling, to build fake-c; the rest from the source
    assert build(project, "--python", "3.12") == 0
    assert read_member(project, "python/fake_c/__init__.py") == "MEMBER = True\n"
    assert dists(project / LAYER) == {"fake-c", "fake-b", "six"}


@pytest.mark.in_process
def test_extras_a_hash_pinned_line_asks_for_must_be_in_the_layer(core_env, make_project, wheelhouse, capsys):
    """`fake-with-extra[speed]==1.0` asks for its extra: what the extra requires is part of the closure."""
    line = hashed(wheelhouse, "fake-with-extra", "1.0", "fake_with_extra-1.0-py3-none-any.whl").replace(
        "fake-with-extra==", "fake-with-extra[speed]==")
    project = make_project(requirements__txt=line)
    assert build(project, "--python", "3.12") == 1
    assert capsys.readouterr().err.startswith(
        "error: The layer would not work on python3.12 x86_64 (manylinux, glibc 2.34): fake-with-extra 1.0 requires "
        "fake-extra-dep (for its extra 'speed'), which is not in the layer. The pins came from requirements.txt: it is "
        "hash-pinned")
    (project / "requirements.txt").write_text(line + hashed(wheelhouse, "fake-extra-dep", "1.0", "fake_extra_dep-1.0-py3-none-any.whl"))
    assert build(project, "--python", "3.12") == 0
    assert dists(project / LAYER) == {"fake-with-extra", "fake-extra-dep"}
