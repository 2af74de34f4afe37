"""Never report a bad layer as a success (issue 10), each case through the console script.

Every test asserts the exit status, the exact message and the state left on disk: the previous
zip intact, no leftovers, the cache repaired. Cases that need another process (two builds at
once, a killed build, a file size limit) run ``lambda-layer`` as a subprocess.
"""

from __future__ import annotations

import fcntl
import marshal
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Tuple, Union

import pytest

from shared_core.pipeline.fingerprint import fingerprint_path
from tests.helpers.builds import LAYER, POETRY_PROJECT, SIX, VERSION, pinned, poetry_lock
from tests.helpers.builds import run_pinned_cli as run_cli
from tests.helpers.indexes import SECRET, USERNAME
from tests.helpers.layer_assertions import dists, names
from tests.helpers.paths import REPO_ROOT as CHECKOUT
from tests.helpers.wheelfactory import make_wheel, module, wheel_sha256

#: A second target, for the cases that need another interpreter than the first.
OTHER_VERSION = "3.13"


def console(project: Path, env: Dict[str, str], *args: str, **popen) -> subprocess.Popen:
    """``lambda-layer build`` in its own process (what a second terminal or CI job would run)."""
    command = [sys.executable, "-c", "import sys; from shared_core.cli import main; sys.exit(main())",
               "build", "--project", str(project), *pinned(args)]
    env = dict(env, PYTHONPATH=str(CHECKOUT))  # this checkout's code (or mutmut's mutated copy of it)
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finished(process: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def leftovers(folder: Path) -> List[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith((".staging-", ".layer-", ".fingerprint-")))


# -- 1. the bytecode cache is verified before use -----------------------------------------------


def cache_entries(cache: Path) -> Dict[str, Path]:
    """Cache entries by the source path compiled into them (an entry is a .pyc, then its sha256)."""
    return {marshal.loads(path.read_bytes()[16:-32]).co_filename: path for path in (cache / "bytecode-v2").rglob("*.pyc")}


@pytest.mark.in_process
def test_damaged_cache_entries_are_recompiled_and_replaced(core_env, make_project, monkeypatch, tmp_path, capsys):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(cache))
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\nsix==1.16.0\nfake-with-tests==1.0\n")
    assert run_cli(project, "--python", VERSION) == 0
    reference = (project / LAYER).read_bytes()
    entries = cache_entries(cache)
    assert sorted(entries) == ["/opt/python/fake_a/__init__.py", "/opt/python/fake_b/__init__.py",
                               "/opt/python/fake_with_tests/__init__.py", "/opt/python/six.py"]
    originals = {name: path.read_bytes() for name, path in entries.items()}

    six = entries["/opt/python/six.py"]
    six.write_bytes(originals["/opt/python/six.py"][:40])                 # truncated
    flipped = originals["/opt/python/fake_a/__init__.py"].replace(b"VALUE", b"VALUF")
    assert flipped != originals["/opt/python/fake_a/__init__.py"]
    entries["/opt/python/fake_a/__init__.py"].write_bytes(flipped)        # altered, still unmarshals
    # swapped: fake_a's intact entry (same source bytes) under fake_b's key
    entries["/opt/python/fake_b/__init__.py"].write_bytes(originals["/opt/python/fake_a/__init__.py"])
    directory = entries["/opt/python/fake_with_tests/__init__.py"]
    directory.unlink()
    directory.mkdir()                                                     # a directory where an entry belongs
    (directory / "junk").write_text("x")
    capsys.readouterr()

    assert run_cli(project, "--python", VERSION, "--force") == 0
    out, err = capsys.readouterr()
    assert re.search(rf"^compile: 4 unchecked-hash \.pyc for Python {VERSION}, 0 from cache, "
                     r"4 damaged cache entries recompiled \(\d+\.\d\d s\)$", out, re.M), out
    assert err == ""
    assert (project / LAYER).read_bytes() == reference
    assert {name: path.read_bytes() for name, path in cache_entries(cache).items()} == originals  # repaired

    assert run_cli(project, "--python", VERSION, "--force") == 0
    assert f"compile: 4 unchecked-hash .pyc for Python {VERSION}, 4 from cache (" in capsys.readouterr().out
    assert (project / LAYER).read_bytes() == reference


# -- 2. a cache that cannot be used costs speed only; a layer without its bytecode is never "up to date"


@pytest.mark.in_process
@pytest.mark.parametrize("breakage", ["shards-are-files", "cache-is-a-file"])
def test_unusable_cache_still_gives_every_pyc(core_env, make_project, monkeypatch, tmp_path, capsys, breakage):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\nsix==1.16.0\n")
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "good-cache"))
    assert run_cli(project, "--python", VERSION) == 0
    reference = (project / LAYER).read_bytes()

    broken = tmp_path / "broken-cache"
    if breakage == "shards-are-files":  # every entry's folder is taken by a file: no entry can be written
        (broken / "bytecode-v2").mkdir(parents=True)
        for shard in range(256):
            (broken / "bytecode-v2" / f"{shard:02x}").write_text("")
        problem = re.escape(str(broken / "bytecode-v2")) + r"/[0-9a-f]{2}: File exists"
    else:
        broken.write_text("")
        problem = re.escape(str(broken / "bytecode-v2")) + ": Not a directory"
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(broken))
    capsys.readouterr()
    assert run_cli(project, "--python", VERSION, "--force") == 0
    out, err = capsys.readouterr()
    assert f"compile: 3 unchecked-hash .pyc for Python {VERSION}, 0 from cache (" in out
    assert re.fullmatch(
        rf"warning: the bytecode cache could not be written \({problem}\); 3 modules were compiled without it, "
        r"which costs only speed\. Free space there or set LAMBDA_LAYER_CACHE_DIR to a writable directory\.\n", err
    ), err
    assert (project / LAYER).read_bytes() == reference   # every .pyc, the same bytes
    assert run_cli(project, "--python", VERSION) == 0    # complete, so fingerprinted
    assert "Layer is up to date" in capsys.readouterr().out


@pytest.mark.in_process
def test_layer_without_bytecode_is_never_up_to_date(core_env, make_project, monkeypatch, tmp_path, capsys):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    layer, fingerprint = project / LAYER, fingerprint_path(project / LAYER)
    assert run_cli(project, "--python", OTHER_VERSION) == 0
    assert fingerprint.is_file(), f"needs a Python {OTHER_VERSION} interpreter on PATH or in pyenv"
    complete = layer.read_bytes()

    # no interpreter of the target version anywhere this build looks
    empty = tmp_path / "no-pythons"
    empty.mkdir()
    hidden = monkeypatch.context()
    with hidden as env:
        for variable in ("PATH", "PYENV_ROOT", "UV_PYTHON_INSTALL_DIR"):
            env.setenv(variable, str(empty))
        capsys.readouterr()
        assert run_cli(project, "--python", OTHER_VERSION, "--force") == 0
        assert_incomplete(capsys.readouterr().err)
        assert not [name for name in names(layer) if name.endswith(".pyc")]
        assert not fingerprint.exists()                       # the complete build's record is gone
        assert run_cli(project, "--python", OTHER_VERSION) == 0
        assert "resolve: 2 pins" in capsys.readouterr().out   # rebuilt, not "up to date"
        assert not fingerprint.exists()

    assert run_cli(project, "--python", OTHER_VERSION) == 0
    assert layer.read_bytes() == complete and fingerprint.is_file()


def assert_incomplete(err: str) -> None:
    assert err == (
        f"warning: no bytecode shipped: no Python {OTHER_VERSION} interpreter found on this machine; cold starts "
        "will compile modules.\n"
        f"warning: the layer is incomplete (no bytecode: no Python {OTHER_VERSION} interpreter found on this "
        "machine), so it is not recorded as up to date: the next build rebuilds it. Make Python "
        f"{OTHER_VERSION} available to the build (on PATH, in pyenv, or `uv python install {OTHER_VERSION}`), or "
        "set `compile-bytecode = false` (--no-compile) to build without bytecode on purpose.\n"
    )


@pytest.mark.in_process
def test_module_that_gets_no_pyc_makes_the_layer_incomplete(core_env, make_project, monkeypatch, tmp_path, capsys):
    """A valid module whose ``__pycache__`` cannot be created (a file has that name) gets no .pyc."""
    extra = tmp_path / "extra-wheels"
    make_wheel(extra, "fake-blocked", "1.0", {"fake_blocked/__init__.py": module(), "fake_blocked/__pycache__": b""})
    monkeypatch.setenv("UV_FIND_LINKS", f"{core_env['UV_FIND_LINKS']},{extra}")
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "cache"))
    project = make_project(requirements__txt="fake-blocked==1.0\nfake-b==1.0\n")
    assert run_cli(project, "--python", VERSION) == 0
    out, err = capsys.readouterr()
    assert f"compile: 1 unchecked-hash .pyc for Python {VERSION}, 0 from cache (" in out
    blocked = r"fake_blocked/__init__\.py: FileExistsError: \[Errno 17\] File exists: '[^']*/fake_blocked/__pycache__'"
    assert re.fullmatch(
        rf"warning: bytecode incomplete: 1 of 2 modules have no \.pyc \(first: {blocked}\); cold starts will "
        r"compile those modules\.\n"
        rf"warning: the layer is incomplete \(1 of 2 modules have no \.pyc \(first: {blocked}\)\), so it is not "
        r"recorded as up to date: the next build rebuilds it\. Fix what stopped those modules from compiling, or set "
        r"`compile-bytecode = false` \(--no-compile\) to build without bytecode on purpose\.\n", err
    ), err
    assert not fingerprint_path(project / LAYER).exists()
    assert [name for name in names(project / LAYER) if name.endswith(".pyc")] == [
        f"python/fake_b/__pycache__/__init__.cpython-{VERSION.replace('.', '')}.pyc"]


# -- 3. a symlinked output is refused: neither replaced nor written through --------------------------


@pytest.mark.in_process
@pytest.mark.parametrize("output", [None, "dist/layer.zip"])
def test_symlinked_output_is_neither_replaced_nor_written_through(core_env, make_project, tmp_path, capsys, output):
    """The tool writes no links, so a link at the zip's path is never its own to delete, even one to a layer."""
    project = make_project(requirements__txt="fake-b==1.0\n")
    zip_path = project / (output or LAYER)
    elsewhere = tmp_path / "elsewhere"
    assert run_cli(project, "--output", str(elsewhere / "shared.zip")) == 0  # a layer of ours, and its record
    shared = {path.name: path.read_bytes() for path in elsewhere.iterdir()}
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    zip_path.symlink_to(elsewhere / "shared.zip")
    capsys.readouterr()
    args = ["--output", output] if output else []
    fix = "change --output" if output else "set `output` in [tool.lambda-layer] or pass --output to a writable place"

    assert run_cli(project, *args) == 1
    assert capsys.readouterr() == (f"target: python{VERSION} x86_64 (--python)\n", (
        f"error: Cannot write the layer to {zip_path}: it is a symbolic link (to {elsewhere / 'shared.zip'}): the "
        f"build writes no links, so it neither replaces one nor writes through it. Move it away or {fix}.\n"))
    assert os.readlink(zip_path) == str(elsewhere / "shared.zip")
    assert {path.name: path.read_bytes() for path in elsewhere.iterdir()} == shared
    assert not fingerprint_path(zip_path).exists()


# -- 4. hashes: all or nothing is refused; a mismatch always stops ---------------------------------


@pytest.mark.in_process
def test_partly_hashed_pins_are_refused(core_env, make_project, wheelhouse, capsys):
    """Checked before any installer runs (pip or uv alike)."""
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    assert run_cli(project, "--no-compile") == 0
    before = (project / LAYER).read_bytes()
    wrong = "sha256:" + wheel_sha256(wheelhouse, "fake_b-1.0-py3-none-any.whl")     # not fake-a's: must never install
    (project / "requirements.txt").write_text(f"fake-a==1.0 --hash={wrong}\nfake-b==1.0\nsix==1.16.0\n")
    capsys.readouterr()
    assert run_cli(project, "--no-compile") == 1
    assert capsys.readouterr().err == (
        "error: requirements.txt gives hashes for some pins but not for: fake-b==1.0, six==1.16.0. Once one pin is "
        "hash-checked, every pin must be (pip's rule), or a tampered download would install unchecked. Regenerate "
        "it with hashes for every pin (`uv pip compile --generate-hashes`, `pip-compile --generate-hashes`, "
        "`poetry lock`, `uv lock`), or remove every --hash to install without hash checking.\n"
    )
    assert (project / LAYER).read_bytes() == before
    assert leftovers(project / LAYER.parent) == []


# -- 5. index options in a requirements file are honoured (or refused), never dropped ---------------


@pytest.mark.in_process
@pytest.mark.parametrize("installer, pins", [
    ("uv", "fake-a==1.0\nfake-b==1.0\n"),
    ("pip", "fake-a==1.0\nfake-b==1.0\n"),
    ("uv", "fake-a\n"),  # not frozen: resolved with `uv pip compile` against the file's index
])
def test_index_url_in_requirements_is_used_with_masked_credentials(
    core_env, make_project, monkeypatch, tmp_path, capsys, private_index_url, installer, pins
):
    for variable in ("UV_OFFLINE", "UV_FIND_LINKS", "PIP_NO_INDEX", "PIP_FIND_LINKS"):
        monkeypatch.delenv(variable)
    closed = "http://127.0.0.1:9/simple/"  # where packages would come from if the line were dropped
    monkeypatch.setenv("UV_DEFAULT_INDEX", closed)
    monkeypatch.setenv("PIP_INDEX_URL", closed)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("LAYER_INDEX_USER", USERNAME)
    monkeypatch.setenv("LAYER_INDEX_PASSWORD", SECRET)
    url = private_index_url.replace("http://", "http://${LAYER_INDEX_USER}:${LAYER_INDEX_PASSWORD}@")
    project = make_project(requirements__txt=f"--index-url {url}\n{pins}")
    assert run_cli(project, "--installer", installer, "--no-compile", "-v") == 0
    out, err = capsys.readouterr()
    assert dists(project / LAYER) == {"fake-a", "fake-b"}
    assert SECRET not in out + err

    # the same index, but the password is wrong: the error is the index's, and still masked
    monkeypatch.setenv("LAYER_INDEX_PASSWORD", "wrong-" + SECRET)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "fresh-uv-cache"))
    assert run_cli(project, "--installer", installer, "--no-compile", "--force") == 1
    out, err = capsys.readouterr()
    assert "401" in err and SECRET not in out + err and "Traceback" not in err


@pytest.mark.in_process
def test_no_index_and_relative_find_links_are_honoured(core_env, make_project, monkeypatch, wheelhouse):
    monkeypatch.delenv("UV_FIND_LINKS")  # offline, no find-links: only the file's own options can work
    project = make_project(requirements__txt="--no-index\n--find-links wheels\nfake-a==1.0\nfake-b==1.0\n")
    (project / "wheels").mkdir()
    for name in ("fake_a-1.0-py3-none-any.whl", "fake_b-1.0-py3-none-any.whl"):
        shutil.copy(wheelhouse / name, project / "wheels" / name)
    assert run_cli(project, "--no-compile") == 0
    assert dists(project / LAYER) == {"fake-a", "fake-b"}


@pytest.mark.in_process
@pytest.mark.parametrize("line", ["--pre", "--no-binary :all:", "--use-feature=truststore"])
def test_other_requirements_options_are_refused_by_name(core_env, make_project, capsys, line):
    project = make_project(requirements__txt=f"{line}\nfake-a==1.0\n")
    assert run_cli(project) == 1
    assert capsys.readouterr().err == (
        f"error: {project / 'requirements.txt'}: the option `{line}` is not one a layer build can honour. Supported: "
        "--extra-index-url, --find-links, --index-url, --no-index, --only-binary, --prefer-binary, --require-hashes, "
        "--trusted-host, -f, -i. Remove the line (or move the setting to the installer's own configuration) and "
        "build again.\n"
    )


# -- 6. empty results are errors; the previous zip stays --------------------------------------------


UV_PROJECT = '[project]\nname = "emptied"\nversion = "1"\nrequires-python = ">=3.9"\ndependencies = DEPS\n'


def uv_lock(project: Path, env: Dict[str, str]) -> None:
    from shared_core.support.toolchain import find_uv

    subprocess.run([find_uv(), "lock", "--quiet"], cwd=project, env=env, check=True, timeout=60)


@pytest.mark.in_process
@pytest.mark.parametrize("case, message", [
    ("emptied pyproject", "error: pyproject.toml declares no [project] (and no [tool.uv.workspace]), but uv.lock was "
     "generated for emptied. Restore pyproject.toml, or run `uv lock` if the project really has no dependencies.\n"),
    ("no dependencies", "error: uv.lock gives no dependencies for python3.12 x86_64 (manylinux, glibc 2.34), so the "
     'layer would be empty and Lambda refuses an empty zip ("Uploaded file must be a non-empty zip"). Declare the '
     "runtime dependencies (and lock them again), or check the groups, extras and markers chosen; the previous "
     "layer zip is unchanged.\n"),
    ("everything excluded", "error: Every pin from uv.lock is excluded: fake-a, fake-b, so the layer would be empty "
     'and Lambda refuses an empty zip ("Uploaded file must be a non-empty zip"). Keep some of them: check '
     "`exclude-packages` (--exclude) and `default-excludes`; the previous layer zip is unchanged.\n"),
])
def test_empty_results_are_errors_and_keep_the_zip(core_env, make_project, capsys, case, message):
    project = make_project(UV_PROJECT.replace("DEPS", '["fake-a"]'))
    uv_lock(project, core_env)
    assert run_cli(project, "--python", "3.12", "--no-compile") == 0
    before = (project / LAYER).read_bytes()
    pyproject = project / "pyproject.toml"
    if case == "emptied pyproject":
        pyproject.write_text("")
    elif case == "no dependencies":
        pyproject.write_text(UV_PROJECT.replace("DEPS", "[]"))
        uv_lock(project, core_env)
    else:
        pyproject.write_text(pyproject.read_text() + '[tool.lambda-layer]\nexclude-packages = ["*"]\n')
    capsys.readouterr()
    assert run_cli(project, "--python", "3.12", "--no-compile") == 1
    assert capsys.readouterr().err == message
    assert (project / LAYER).read_bytes() == before
    assert leftovers(project / LAYER.parent) == []


# -- 7. the API zipper packs a directory once, under its real path ----------------------------------


@pytest.mark.in_process
@pytest.mark.parametrize("alias, real", [("aaa_alias", "zzz_pkg"), ("zzz_alias", "aaa_pkg")])
def test_directory_symlink_packs_the_real_package_once(core_env, make_project, alias, real):
    from shared_core import LambdaLayerZipper, LayerBuildToolEnum

    project = make_project("[project]\nname = 'x'\nversion = '1'\n")
    site = project / "build/lambda/layer/artifacts/python"
    (site / real).mkdir(parents=True)
    (site / real / "__init__.py").write_text("VALUE = 1\n")
    (site / alias).symlink_to(site / real, target_is_directory=True)
    result = LambdaLayerZipper(project / "pyproject.toml", LayerBuildToolEnum.pip, verbose=False).run()
    assert names(result.path) == {f"python/{real}/__init__.py"}


# -- 8. one build per output at a time ---------------------------------------------------------------


@pytest.mark.subprocess
def test_concurrent_builds_take_turns(core_env, make_project):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\nsix==1.16.0\n")
    running = [console(project, core_env, "--force") for _ in range(3)]
    results = [finished(process) for process in running]
    assert [result.returncode for result in results] == [0, 0, 0], results
    assert all("Traceback" not in result.stderr for result in results)
    assert dists(project / LAYER) == {"fake-a", "fake-b", "six"}
    with zipfile.ZipFile(project / LAYER) as archive:
        assert archive.testzip() is None
    assert leftovers(project / LAYER.parent) == []


@pytest.mark.subprocess
def test_a_held_lock_makes_the_next_build_wait_then_stop(core_env, make_project):
    project = make_project(requirements__txt="fake-b==1.0\n")
    lock = project / "build/lambda/layer/.lambda-layer.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as holder:  # another build: it holds the lock and wrote its pid
        fcntl.flock(holder, fcntl.LOCK_EX)
        holder.write("4242\n")
        holder.flush()
        waited = finished(console(project, dict(core_env, LAMBDA_LAYER_LOCK_TIMEOUT="0.5")))
    zip_path = project / LAYER
    assert waited.returncode == 1
    assert waited.stdout == (
        f"target: python{VERSION} x86_64 (--python)\nWaiting for another build of {zip_path} (pid 4242) to finish...\n"
    )
    assert waited.stderr == (
        f"error: Another build of {zip_path} (pid 4242) still holds {lock} after 0.5 s. Let it finish (or stop it) "
        "and build again; LAMBDA_LAYER_LOCK_TIMEOUT sets how many seconds to wait.\n"
    )
    assert not zip_path.exists() and leftovers(zip_path.parent) == []


# -- 9. what a killed build left is removed by the next one -----------------------------------------


@pytest.mark.subprocess
def test_next_build_removes_what_a_killed_build_left(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\nsix==1.16.0\n")
    build_dir = project / LAYER.parent
    build_dir.mkdir(parents=True)
    # a build killed while it installs: wait for its staging folder, then SIGKILL it
    killed = console(project, core_env, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(build_dir.glob(".staging-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    staged = leftovers(build_dir)
    assert staged and all(name.startswith(".staging-") for name in staged)
    # and what a kill while zipping or recording leaves, next to files that are not ours
    (build_dir / ".layer-k1ll3d.zip.tmp").write_bytes(b"PK half a zip")
    (build_dir / ".fingerprint-k1ll3d.tmp").write_text("{")
    keep = [build_dir / ".layer-notes.txt", build_dir / "mine.zip.tmp", project / ".staging-not-in-build-dir"]
    for path in keep:
        path.write_text("keep")

    assert run_cli(project) == 0
    out = capsys.readouterr().out
    gone = [*staged, ".fingerprint-k1ll3d.tmp", ".layer-k1ll3d.zip.tmp"]  # staging folders, then files
    removed = next(line for line in out.splitlines() if line.startswith("Removed "))
    size = r"\((?:\d+ B|\d+\.\d [KM]B)\)"
    assert re.fullmatch(rf"Removed {len(gone)} leftovers of an interrupted build {size}: "
                        + re.escape(", ".join(gone)), removed), removed
    assert leftovers(build_dir) == [".layer-notes.txt"]
    assert all(path.read_text() == "keep" for path in keep)
    assert dists(project / LAYER) == {"fake-a", "fake-b", "six"}


# -- 10. the error contract: one paragraph naming the file and the fix, never a traceback ---------


DIRECTORY, REMOVED = "a directory where the file belongs", "no such file"


@dataclass(frozen=True)
class BadInput:
    """Files written over a project (in order), the options, and the message (``{root}``: the project)."""

    files: Tuple[Tuple[str, Union[bytes, str, Callable[[Path], bytes]]], ...]
    args: Tuple[str, ...]
    console: str
    poetry: str = ""  # when the Poetry command words it otherwise (Poetry reads some files itself)


NOT_UTF8 = "is not UTF-8 text (byte 0x{byte} at offset {offset}): it may be a binary or corrupted file."
BAD_INPUTS = {
    "pyproject is a directory": BadInput(
        (("pyproject.toml", DIRECTORY),), (),
        "{root}/pyproject.toml is a directory, not a file. Replace it with the project's pyproject.toml, a UTF-8 "
        "TOML file.",
        "Is a directory: {root}/pyproject.toml. A directory is in the way of a file the build reads or writes: remove "
        "or rename it."),
    "binary pyproject": BadInput(
        (("pyproject.toml", b'[project]\nname = "\xff\xfe"\n'),), (),
        "{root}/pyproject.toml " + NOT_UTF8.format(byte="ff", offset=18)
        + " Replace it with the project's pyproject.toml, a UTF-8 TOML file.",
        # Poetry reads pyproject.toml itself, before the command runs
        "\nInvalid TOML file {root}/pyproject.toml: 'utf-8' codec can't decode byte 0xff in position 18: invalid "
        "start byte"),
    "binary poetry.lock": BadInput(
        (("poetry.lock", b"\x89PNG\r\n\x1a\n"),), (),
        "{root}/poetry.lock " + NOT_UTF8.format(byte="89", offset=0) + " Run `poetry lock` to regenerate it.",
        "{root}/poetry.lock is not valid TOML ('utf-8' codec can't decode byte 0x89 in position 0: invalid start "
        "byte). Run `poetry lock` to regenerate it."),
    "empty poetry.lock": BadInput(
        (("poetry.lock", b""),), (),
        "{root}/poetry.lock is empty, so it is not a lock Poetry wrote (or it was cut short). Run `poetry lock` to "
        "regenerate it.",
        "{root}/poetry.lock: The lock file does not have a metadata entry. Regenerate the lock file with the "
        "`poetry lock` command."),
    "poetry.lock package without version": BadInput(
        (("poetry.lock", poetry_lock('[[package]]\nname = "six"\ngroups = ["main"]\n')),), (),
        "poetry.lock: [[package]] entry 1 (six) has no `version`, so the lock is damaged or was edited by hand. Run "
        "`poetry lock` to regenerate it."),
    "binary uv.lock": BadInput(
        (("poetry.lock", REMOVED), ("uv.lock", b"version = 1\n\xc3\x28\n")), ("--tool", "uv"),
        "{root}/uv.lock " + NOT_UTF8.format(byte="c3", offset=12) + " Run `uv lock` to regenerate it."),
    "binary requirements.txt": BadInput(
        (("requirements.txt", b"six==1.16.0\n\xff\n"),), ("--tool", "pip"),
        "{root}/requirements.txt " + NOT_UTF8.format(byte="ff", offset=12)
        + " A requirements file must be UTF-8 text: fix or regenerate it."),
    "output folder is a file": BadInput(
        (("dist", b"a file, not a folder"),), ("--output", "dist/layer.zip"),
        "Cannot write the layer to {root}/dist/layer.zip: {root}/dist is a file, not a directory. Change --output."),
}


def bad_project(make_project: Callable[..., Path], bad: BadInput) -> Path:
    """A Poetry project (pyproject.toml, a fresh poetry.lock) with ``bad``'s files written over it."""
    root = make_project(POETRY_PROJECT)
    (root / "poetry.lock").write_bytes(poetry_lock(SIX)(root))
    for name, content in bad.files:
        path = root / name
        path.unlink(missing_ok=True)
        if content == DIRECTORY:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif callable(content):
            path.write_bytes(content(root))
    return root


@pytest.mark.in_process
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_inputs_are_one_paragraph(core_env, make_project, capsys, case):
    bad = BAD_INPUTS[case]
    root = bad_project(make_project, bad)
    assert run_cli(root, *bad.args) == 1
    assert capsys.readouterr().err == "error: " + bad.console.format(root=root) + "\n"
    assert not (root / LAYER).exists()


@pytest.mark.subprocess
def test_a_failed_write_of_the_zip_is_one_paragraph_and_keeps_the_old_zip(core_env, make_project):
    """A file size limit makes the zip's write fail mid-way, as a full disk does."""
    files = {f"fake_big/m{i:03d}.py": os.urandom(900) for i in range(80)}  # each file small, the zip not
    extra = make_project(name="wheels")
    make_wheel(extra, "fake-big", "1.0", {"fake_big/__init__.py": module(), **files})
    env = dict(core_env, UV_FIND_LINKS=f"{core_env['UV_FIND_LINKS']},{extra}")
    project = make_project(requirements__txt="fake-b==1.0\n")
    assert finished(console(project, env, "--no-compile")).returncode == 0
    before = (project / LAYER).read_bytes()
    (project / "requirements.txt").write_text("fake-b==1.0\nfake-big==1.0\n")
    assert finished(console(project, env, "--no-compile", "--compression-level", "0")).returncode == 0  # warm uv's cache
    (project / LAYER).write_bytes(before)

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))

    failed = finished(console(project, env, "--no-compile", "--compression-level", "0", "--force",
                              preexec_fn=limit_file_size))
    assert failed.returncode == 1
    assert failed.stderr == (
        f"error: File too large: {project / LAYER}. Free space on that disk or raise the file size limit (or point "
        "`output` / --output at another disk) and build again; a zip that could not be written leaves the previous "
        "one as it was.\n"
    )
    assert (project / LAYER).read_bytes() == before
    assert leftovers(project / LAYER.parent) == []


@pytest.mark.in_process
def test_pip_with_an_unreachable_index_says_so(core_env, make_project, monkeypatch, capsys):
    for variable in ("PIP_NO_INDEX", "PIP_FIND_LINKS"):
        monkeypatch.delenv(variable)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_RETRIES", "1")
    project = make_project(requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    assert run_cli(project, "--installer", "pip", "--no-compile") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: pip could not use the package index (the default index (PyPI, or PIP_INDEX_URL)): "
                          "NewConnectionError("), err
    assert err.endswith("Check the index URL, the network (proxy, VPN) and the credentials, then build again.\n")
    assert "No wheel" not in err and err.count("\n") == 1


@pytest.mark.in_process
def test_a_bug_shows_its_traceback_only_with_verbose(core_env, make_project, monkeypatch, capsys):
    import shared_core.install.staging

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(shared_core.install.staging, "stage_dependencies", broken)
    project = make_project(requirements__txt="fake-b==1.0\n")
    assert run_cli(project) == 1
    assert capsys.readouterr().err == (
        "error: internal error (KeyError: 'a bug'). This is a bug in lambda-layer-build: run again with -v for the "
        "traceback and report it.\n"
    )
    assert run_cli(project, "-v") == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n") and "KeyError: 'a bug'\n" in err


#: Cases the Poetry command finds only once the build has started (after it said its target).
FOUND_DURING_THE_BUILD = ("poetry.lock package without version", "output folder is a file")


@pytest.mark.in_process
@pytest.mark.parametrize("case", [case for case, bad in BAD_INPUTS.items() if "--tool" not in bad.args])
def test_bad_inputs_through_the_poetry_command(poetry_app, make_project, case):
    bad = BAD_INPUTS[case]
    root = bad_project(make_project, bad)
    code, out, err = poetry_app(f"lambda-layer --project {root} --python {VERSION} {' '.join(bad.args)}")
    said = f"target: python{VERSION} x86_64 (--python)\n" if case in FOUND_DURING_THE_BUILD else ""
    assert (code, out, err) == (1, said, (bad.poetry or bad.console).format(root=root) + "\n")
    assert not (root / LAYER).exists()


@pytest.mark.in_process
def test_a_file_system_error_through_the_hatch_builder(core_env, tmp_path, capsys):
    from tests.helpers.hatch_projects import in_process_builder, pyproject

    root = tmp_path / "hatch-project"
    root.mkdir()
    (root / "dist").write_text("a file, not a folder")
    builder = in_process_builder(root, pyproject(["fake-a"], target={"output": "dist/layer.zip"}))
    with pytest.raises(SystemExit) as exited:
        list(builder.build(directory=str(tmp_path / "out")))
    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"Cannot write the layer to {root / 'dist/layer.zip'}: {root / 'dist'} is a file, not a directory. "
        "Change Field `tool.hatch.build.targets.lambda-layer.output`."
    )
