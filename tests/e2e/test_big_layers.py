"""Big layers on real installs from the wheelhouse: drop-package-tests and its proofs, the member
cache (cold, warm and corrupted builds give the same bytes), and the fit advice at the limit."""

from __future__ import annotations

import hashlib
import platform
import re
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import List

import deflate
import pytest

from shared_core import lambda_runtime
from shared_core.cli import main
from shared_core.pack import compress_ahead
from shared_core.support.reporting import ReporterBase
from tests.helpers.layer_assertions import bytes_under, member_sizes, names

pytestmark = pytest.mark.in_process

HOST = "%d.%d" % sys.version_info[:2]
TAG = "cpython-%d%d" % sys.version_info[:2]
LAYER = Path("build/lambda/layer/layer.zip")
TESTS = "`drop-package-tests = true`, --drop-package-tests"
TAIL = ("Otherwise exclude other distributions with `exclude-packages` in [tool.lambda-layer], split the layer, "
        "or set `allow-oversize = true` (--allow-oversize) to write it anyway.")


def run_cli(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), *args])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- drop-package-tests --------------------------------------------------------------------------


def test_drop_package_tests_leaves_out_what_nothing_imports_and_proves_it(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-suite==1.0\n")
    assert run_cli(project, "--python", HOST, "--drop-package-tests") == 0
    layer = project / LAYER
    assert sorted(name for name in names(layer) if ".dist-info/" not in name) == sorted([
        "python/fake_suite/__init__.py", f"python/fake_suite/__pycache__/__init__.{TAG}.pyc",
        "python/fake_suite/core.py", f"python/fake_suite/__pycache__/core.{TAG}.pyc",
        "python/fake_suite/testing/__init__.py", f"python/fake_suite/testing/__pycache__/__init__.{TAG}.pyc",
        "python/fake_suite/needs/__init__.py", f"python/fake_suite/needs/__pycache__/__init__.{TAG}.pyc",
        # imported by fake_suite/needs/__init__.py: kept (as source, like every test directory)
        "python/fake_suite/needs/tests/__init__.py", "python/fake_suite/needs/tests/helper.py",
        # a top-level package that happens to be called tests: never dropped
        "python/tests/__init__.py", f"python/tests/__pycache__/__init__.{TAG}.pyc",
    ])
    assert {"python/fake_suite-1.0.dist-info/METADATA", "python/fake_suite-1.0.dist-info/RECORD"} <= names(layer)
    out = capsys.readouterr().out
    lines = out.splitlines()
    # fake_suite/tests (10 + 34 bytes) and fake_suite/sub/test (1,000 bytes)
    assert "package tests: left out 2 test directories (3 files, 1.0 KB); no kept module imports them" in lines
    assert "package tests: kept fake_suite/needs/tests/, fake_suite/needs/__init__.py imports fake_suite.needs.tests" in lines
    assert re.search(
        rf"^import check: 2 of 2 top-level packages import without the tests in {re.escape(sys.executable)} \(\d+\.\d\d s\)$",
        out, re.M,
    )


def test_import_check_is_skipped_where_the_target_cannot_run_and_the_static_check_stands(core_env, make_project, capsys):
    other = {"x86_64": ("arm64", "aarch64"), "aarch64": ("x86_64", "x86_64")}[platform.machine()]
    project = make_project(requirements__txt="fake-suite==1.0\n")
    assert run_cli(project, "--python", HOST, "--arch", other[0], "--drop-package-tests") == 0
    lines = capsys.readouterr().out.splitlines()
    assert "package tests: left out 2 test directories (3 files, 1.0 KB); no kept module imports them" in lines
    assert f"import check: skipped, this machine is Linux {platform.machine()}, the target Linux {other[1]}" in lines
    assert "python/fake_suite/tests/test_core.py" not in names(project / LAYER)


def test_drop_package_tests_is_opt_in_and_part_of_the_fingerprint(core_env, make_project, capsys):
    project = make_project(requirements__txt="fake-suite==1.0\n")
    layer = project / LAYER
    assert run_cli(project, "--no-compile") == 0
    assert {"python/fake_suite/tests/test_core.py", "python/fake_suite/sub/test/data.txt"} <= names(layer)
    assert "package tests:" not in capsys.readouterr().out
    (project / "pyproject.toml").write_text("[tool.lambda-layer]\ndrop-package-tests = true\n")
    assert run_cli(project, "--no-compile") == 0
    assert "package tests: left out 2 test directories" in capsys.readouterr().out
    assert not {name for name in names(layer) if "/tests/test_core.py" in name or "/sub/test/" in name}
    assert run_cli(project, "--no-compile") == 0
    assert "Layer is up to date" in capsys.readouterr().out


def test_a_suite_loaded_by_a_computed_name_stops_the_build(core_env, make_project, capsys):
    # python3.12, not the running Python: that may be a deprecated runtime, whose warning would join stderr
    project = make_project(requirements__txt="fake-dynamic-tests==1.0\n")
    layer = project / LAYER
    assert run_cli(project, "--python", "3.12") == 0  # without the drop it builds
    before = sha256(layer)
    capsys.readouterr()
    assert run_cli(project, "--python", "3.12", "--drop-package-tests") == 1
    err = capsys.readouterr().err
    assert re.fullmatch(
        re.escape("error: With drop-package-tests, these packages fail to import in a clean Python 3.12 (")
        + r"/\S+/python3\.12"  # the interpreter found for the target (pyenv's, on this machine)
        + re.escape(
            ") but import with their test directories in place: fake_dynamic_tests (ModuleNotFoundError: No module named "
            "'fake_dynamic_tests.tests' (a package test directory left out of the layer)). Something loads a test "
            "directory in a way the static import check cannot see; the layer was not written. Set "
            "`drop-package-tests = false` in [tool.lambda-layer] (or leave out --drop-package-tests) to keep the tests.\n"
        ),
        err,
    ), err
    assert sha256(layer) == before
    assert sorted(path.name for path in layer.parent.iterdir() if path.is_file()) == [
        ".gitignore", ".lambda-layer.lock", "layer.zip", "layer.zip.fingerprint.json", "layer.zip.json",
    ]


# -- the import check beside the zip, and its result kept -------------------------------------------


IMPORT_CHECK = re.compile(r"^import check: .*$", re.M)
REUSED = "(reused: the same files and interpreter passed before)"


def import_check_line(out: str) -> str:
    return IMPORT_CHECK.findall(out)[0]


def test_a_passing_import_check_is_reused_only_for_the_same_files_and_interpreter(core_env, make_project, capsys,
                                                                                 monkeypatch, tmp_path):
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "cache"))
    project = make_project(requirements__txt="fake-suite==1.0\n")
    layer = project / LAYER
    ran = rf"import check: 2 of 2 top-level packages import without the tests in {re.escape(sys.executable)} \(\d+\.\d\d s\)"
    reused = f"import check: 2 of 2 top-level packages import without the tests in {sys.executable} {REUSED}"
    assert run_cli(project, "--python", HOST, "--drop-package-tests") == 0
    assert re.fullmatch(ran, import_check_line(capsys.readouterr().out))
    first = sha256(layer)
    entries = sorted((tmp_path / "cache" / "import-check-v1").rglob("*.json"))
    assert len(entries) == 1

    assert run_cli(project, "--python", HOST, "--drop-package-tests", "--force") == 0  # the same tree: reused
    assert import_check_line(capsys.readouterr().out) == reused
    assert sha256(layer) == first

    # another file in the tree (another distribution, its .pyc): checked again, and kept beside the first
    (project / "requirements.txt").write_text("fake-suite==1.0\nsix==1.16.0\n")
    assert run_cli(project, "--python", HOST, "--drop-package-tests") == 0
    assert re.fullmatch(ran.replace("2 of 2", "3 of 3"), import_check_line(capsys.readouterr().out))
    assert len(sorted((tmp_path / "cache" / "import-check-v1").rglob("*.json"))) == 2

    # another interpreter (and so other .pyc): checked again
    (project / "requirements.txt").write_text("fake-suite==1.0\n")
    assert run_cli(project, "--python", "3.12", "--drop-package-tests") == 0
    assert re.fullmatch(r"import check: 2 of 2 top-level packages import without the tests in /\S+/python3\.12 "
                        r"\(\d+\.\d\d s\)", import_check_line(capsys.readouterr().out))

    # a damaged entry is not believed: the check runs again and the entry is written anew
    entries[0].write_text(entries[0].read_text().replace('"modules": ["fake_suite"', '"modules": ["other"'))
    assert run_cli(project, "--python", HOST, "--drop-package-tests") == 0
    assert re.fullmatch(ran, import_check_line(capsys.readouterr().out))
    assert sha256(layer) == first
    assert run_cli(project, "--python", HOST, "--drop-package-tests", "--force") == 0
    assert import_check_line(capsys.readouterr().out) == reused


def test_a_broken_import_is_never_kept(core_env, make_project, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "cache"))
    project = make_project(requirements__txt="fake-dynamic-tests==1.0\n")
    for _ in range(2):  # the second build imports again, and fails again
        assert run_cli(project, "--python", HOST, "--drop-package-tests") == 1
        assert "these packages fail to import in a clean Python" in capsys.readouterr().err
    assert not (tmp_path / "cache" / "import-check-v1").exists()
    assert not (project / LAYER).exists()


def test_an_interrupt_while_zipping_stops_the_import_check_and_every_worker(core_env, make_project, capsys, monkeypatch):
    project = make_project(requirements__txt="fake-slow-import==1.0\nfake-suite==1.0\n")
    layer = project / LAYER
    # python3.12: not a deprecated runtime, whose warning would join stderr
    assert run_cli(project, "--python", "3.12") == 0  # no drop, no import check: the previous layer
    before = sha256(layer)
    launched: List[subprocess.Popen] = []
    popen = subprocess.Popen

    def recording(*args, **kwargs):
        process = popen(*args, **kwargs)
        launched.append(process)
        return process

    def interrupt(self, stage: str, done: int, total: int) -> None:
        if stage == "zip":
            raise KeyboardInterrupt

    monkeypatch.setattr(subprocess, "Popen", recording)
    monkeypatch.setattr(ReporterBase, "progress", interrupt)
    started = time.monotonic()
    assert run_cli(project, "--python", "3.12", "--drop-package-tests", "--force") == 130
    assert time.monotonic() - started < 30  # fake_slow_import sleeps 60 s on import: nobody waited for it
    assert capsys.readouterr().err == "error: Interrupted; the previous layer zip (if any) is unchanged.\n"
    checks = [process for process in launched if process.args[1:4] == ["-I", "-S", "-B"]]
    assert [process.returncode for process in checks] == [-9]  # the one running when the zip stopped: killed
    assert [thread.name for thread in threading.enumerate() if thread.name.startswith(
        ("zip-ahead", "zip-writer", "import-check", "tree-hash", "record-hash"))] == []
    assert sha256(layer) == before
    assert sorted(path.name for path in layer.parent.iterdir() if path.is_file()) == [
        ".gitignore", ".lambda-layer.lock", "layer.zip", "layer.zip.fingerprint.json", "layer.zip.json",
    ]


def test_members_compressed_ahead_give_the_sequential_writers_zip(core_env, make_project, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "cache"))
    project = make_project(requirements__txt="fake-suite==1.0\nfake-a==1.0\nfake-b==1.0\n")
    layer = project / LAYER
    monkeypatch.setattr(compress_ahead, "AHEAD_MIN_SIZE", 4096)  # the fixture's wheels are small
    assert run_cli(project, "--python", HOST, "--drop-package-tests", "-v") == 0
    # fake_suite/core.py is the one member over 4 KiB: compressed as soon as it was installed
    assert "  zip: 1 members were compressed while the layer was installed and checked" in capsys.readouterr().out
    overlapped = sha256(layer)
    monkeypatch.setattr(compress_ahead, "ahead_compression", lambda *args: None)
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "other-cache"))  # and no member from a cache
    assert run_cli(project, "--python", HOST, "--drop-package-tests", "--force", "-v") == 0
    assert "members were compressed while" not in capsys.readouterr().out
    assert sha256(layer) == overlapped


# -- the member cache ------------------------------------------------------------------------------


def test_member_cache_cold_warm_and_corrupted_builds_are_byte_identical(core_env, make_project, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "cache"))
    project = make_project(requirements__txt="fake-suite==1.0\nfake-a==1.0\nfake-b==1.0\n")
    layer = project / LAYER

    def zip_line() -> str:
        return next(line for line in capsys.readouterr().out.splitlines() if line.startswith("zip: "))

    assert run_cli(project, "--no-compile") == 0
    files = len(names(layer))
    assert re.fullmatch(rf"zip: {files} files at level 9 with libdeflate, 0 from cache \(\d+\.\d\d s\)", zip_line())
    cold = sha256(layer)
    # the one member over 4 KiB, stored under the sha256 of its content, the level and the compressor
    content = (project / "build/lambda/layer/artifacts/python/fake_suite/core.py").read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    entry = tmp_path / "cache" / "zip-members" / f"libdeflate-{deflate.__version__}-level9" / digest[:2] / digest
    assert [path for path in (tmp_path / "cache" / "zip-members").rglob("*") if path.is_file()] == [entry]
    good_entry = entry.read_bytes()

    assert run_cli(project, "--no-compile", "--force") == 0
    assert re.fullmatch(rf"zip: {files} files at level 9 with libdeflate, 1 from cache \(\d+\.\d\d s\)", zip_line())
    assert sha256(layer) == cold

    entry.write_bytes(good_entry[:-1] + bytes([good_entry[-1] ^ 0x01]))  # one flipped bit in the stream
    assert run_cli(project, "--no-compile", "--force") == 0
    assert re.fullmatch(
        rf"zip: {files} files at level 9 with libdeflate, 0 from cache "
        r"\(1 cache entry failed verification and was recompressed\) \(\d+\.\d\d s\)", zip_line(),
    )
    assert sha256(layer) == cold
    assert entry.read_bytes() == good_entry  # replaced

    assert run_cli(project, "--no-compile", "--force") == 0
    assert re.fullmatch(rf"zip: {files} files at level 9 with libdeflate, 1 from cache \(\d+\.\d\d s\)", zip_line())
    assert sha256(layer) == cold


def test_the_member_cache_serves_every_project_on_the_machine(core_env, make_project, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "cache"))
    first = make_project(requirements__txt="fake-suite==1.0\n", name="first")
    other = make_project(requirements__txt="fake-suite==1.0\nfake-a==1.0\n", name="other")

    def zip_line() -> str:
        return next(line for line in capsys.readouterr().out.splitlines() if line.startswith("zip: "))

    assert run_cli(first, "--no-compile") == 0
    assert re.fullmatch(rf"zip: {len(names(first / LAYER))} files at level 9 with libdeflate, 0 from cache \(\d+\.\d\d s\)",
                        zip_line())
    # another project's first build: the file it shares with the first comes from the cache
    assert run_cli(other, "--no-compile") == 0
    assert re.fullmatch(rf"zip: {len(names(other / LAYER))} files at level 9 with libdeflate, 1 from cache \(\d+\.\d\d s\)",
                        zip_line())


def test_staging_links_uv_cache_and_rebuilds_never_write_through_it(core_env, make_project):
    project = make_project(requirements__txt="fake-ships-pyc==1.0\n")
    for _ in range(2):  # the second build copies our .pyc from the bytecode cache over the shipped one
        assert run_cli(project, "--python", HOST, "--force") == 0
    staged = project / "build/lambda/layer/artifacts/python/fake_ships_pyc"
    assert (staged / "__init__.py").stat().st_nlink == 2  # the staged file is uv's cached one
    ours = staged / "__pycache__" / f"__init__.{TAG}.pyc"
    assert (ours.stat().st_nlink, ours.read_bytes()[4:8]) == (1, (0b01).to_bytes(4, "little"))  # unchecked hash
    in_uv_cache = Path(core_env["UV_CACHE_DIR"]).rglob(f"fake_ships_pyc/__pycache__/__init__.{TAG}.pyc")
    assert [path.read_bytes() for path in in_uv_cache] == [b"shipped"]


# -- fit advice at the limit -------------------------------------------------------------------------


def test_over_limit_error_and_report_price_each_measure_on_this_layer(core_env, make_project, capsys, monkeypatch):
    project = make_project(requirements__txt="fake-suite==1.0\nfake-a==1.0\nfake-b==1.0\n")
    layer = project / LAYER
    # python3.12 with --no-compile: no interpreter needed, and not a deprecated runtime (no warning on stderr)
    assert run_cli(project, "--python", "3.12", "--no-compile") == 0
    sizes = member_sizes(layer)
    total = sum(sizes.values())
    tests = bytes_under(sizes, "python/fake_suite/tests/", "python/fake_suite/sub/test/")
    with zipfile.ZipFile(layer) as archive:  # the suites' rows in the packed RECORD go with them
        record = archive.read("python/fake_suite-1.0.dist-info/RECORD").decode().splitlines(keepends=True)
    tests_rows = sum(len(row) for row in record if row.startswith(("fake_suite/tests/", "fake_suite/sub/test/")))
    suite = bytes_under(sizes, "python/fake_suite/", "python/fake_suite-1.0.dist-info/", "python/tests/")
    fake_a = bytes_under(sizes, "python/fake_a/", "python/fake_a-1.0.dist-info/")
    fake_b = bytes_under(sizes, "python/fake_b/", "python/fake_b-1.0.dist-info/")
    assert (tests, suite + fake_a + fake_b) == (1044, total) and fake_a > fake_b > 100
    limit = total - 100
    capsys.readouterr()
    # Lambda's limit, lowered to this small layer (read at build time for exactly this)
    monkeypatch.setattr(lambda_runtime, "UNZIPPED_LIMIT", limit)

    assert run_cli(project, "--python", "3.12", "--no-compile", "--force") == 1
    saving = tests + tests_rows
    measures = [
        f"dropping package tests ({TESTS}) saves {saving:,} bytes, leaving {total - saving:,} (fits)",
        f"excluding fake-suite (`exclude-packages`, --exclude fake-suite) saves {suite:,} bytes, leaving {total - suite:,} (fits)",
        f"excluding fake-a (`exclude-packages`, --exclude fake-a) saves {fake_a:,} bytes, leaving {total - fake_a:,} (fits)",
        f"excluding fake-b (`exclude-packages`, --exclude fake-b) saves {fake_b:,} bytes, leaving {total - fake_b:,} "
        "(fits; required by fake-a)",
    ]
    assert capsys.readouterr().err == (
        f"error: The layer unzips to {total:,} bytes, 100 over Lambda's limit of {limit:,} bytes for a function and all "
        f"its layers; Lambda would reject it. On this layer, {'; '.join(measures)}. {TAIL}\n"
    )

    assert run_cli(project, "--python", "3.12", "--no-compile", "--force", "--allow-oversize") == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index(f"Near Lambda's unzipped limit: {total:,} of {limit:,} bytes ({total * 100 / limit:.1f}%).")
    assert out[start + 1:start + 6] == ["What each measure would save on this layer:", *(f"  {m}" for m in measures)]

    assert run_cli(project, "--python", "3.12", "--no-compile", "--force", "--drop-package-tests") == 0
    assert sum(member_sizes(layer).values()) == total - saving  # exactly what the advice promised
