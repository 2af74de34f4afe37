"""``poetry lambda-layer``: the real Poetry, the real plugin entry point, real installs.

End-to-end tests run ``python -m poetry`` as a subprocess on temporary projects whose only
source is the loopback index; each distinct project is locked once per module (all locks run
concurrently) and copied for every test. In-process tests drive Poetry's own ``Application``
through cleo's ``ApplicationTester`` for the fast cases (listing, help, errors).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

from tests.helpers.indexes import SECRET, USERNAME
from tests.helpers.layer_assertions import dists, names
from tests.helpers.uv_recorder import read_uv_records
from tests.helpers.wheelfactory import HUGE_BLOB_BYTES

LAYER = Path("build/lambda/layer/layer.zip")
SOURCE = """
[[tool.poetry.source]]
name = "fixture"
url = "INDEX_URL"
priority = "primary"
"""

CLASSIC = """
[tool.poetry]
name = "classic-app"
version = "0.1.0"
description = "A [tool.poetry]-style project"
authors = ["Test <test@example.com>"]

[tool.poetry.dependencies]
python = ">=3.9"
fake-a = "*"
fake-c = "*"
requests = "*"
boto3 = "*"
fake-native = "*"
fake-with-extra = {version = "*", extras = ["speed"], optional = true}

[tool.poetry.extras]
speed = ["fake-with-extra"]

[tool.poetry.group.dev.dependencies]
fake-dev-tool = "*"

[tool.poetry.group.broken]
optional = true

[tool.poetry.group.broken.dependencies]
fake-sdist-only = "*"
""" + SOURCE + """
[tool.lambda-layer]
python-version = "3.12"
exclude-packages = ["fake-c"]
"""

PEP621 = """
[project]
name = "pep621-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["fake-a", "pipe", "fake-native", "six"]

[project.optional-dependencies]
speed = ["fake-with-extra[speed]"]

[tool.poetry.group.dev.dependencies]
fake-dev-tool = "*"
""" + SOURCE + """
[tool.lambda-layer]
python-version = "3.11"
with-groups = ["dev"]
compression-level = 6
"""

NON_PACKAGE = """
[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
python = ">=3.9"
python-dateutil = "*"
PyYAML = "*"
boto3 = "*"

[tool.poetry.group.dev.dependencies]
fake-dev-tool = "*"
""" + SOURCE

PRIVATE = """
[project]
name = "private-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["fake-a"]

[tool.poetry.group.broken]
optional = true

[tool.poetry.group.broken.dependencies]
fake-sdist-only = "*"
""" + SOURCE

CARET = """
[tool.poetry]
name = "caret-app"
version = "0.1.0"
description = "No python-version: Poetry's python constraint decides the target"
authors = []

[tool.poetry.dependencies]
python = ">=3.9"
fake-native = "*"
""" + SOURCE


FUNCTION_APP = """
[project]
name = "poetry-fn"
version = "2.0"
requires-python = ">=3.9"
dependencies = ["six"]

[tool.poetry]
packages = [{include = "app", from = "src"}]

[build-system]
requires = ["poetry-core>=2"]
build-backend = "poetry.core.masonry.api"

[tool.lambda-layer]
python-version = "3.12"

[tool.lambda-layer.function]
handler = "app.main.handler"
""" + SOURCE


def _narrow_python(root: Path, constraint: str) -> None:
    """What `poetry lock` writes on a machine whose Python matches ``constraint`` (this one may not
    have it): the new constraint, and the content hash Poetry's own locker computes for it."""
    from poetry.factory import Factory

    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('python = ">=3.9"', f'python = "{constraint}"'))
    lock = root / "poetry.lock"
    fresh_hash = Factory().create_poetry(root).locker._get_content_hash()
    text = re.sub(r'content-hash = "[0-9a-f]+"', f'content-hash = "{fresh_hash}"', lock.read_text())
    lock.write_text(text.replace('python-versions = ">=3.9"', f'python-versions = "{constraint}"'))


SUITE = """
[project]
name = "suite-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["fake-suite"]
""" + SOURCE

NEW_SYNTAX = """
[project]
name = "new-syntax-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["fake-new-syntax"]
""" + SOURCE + """
[tool.lambda-layer]
python-version = "3.11"
"""

HUGE = """
[project]
name = "huge-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["fake-huge"]
""" + SOURCE



# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def poetry_env(offline_env: Dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    """The session's isolation, but installs come from the loopback index, not the wheelhouse."""
    env = dict(offline_env)
    for key in ("UV_OFFLINE", "UV_FIND_LINKS", "PIP_NO_INDEX", "PIP_FIND_LINKS"):
        env.pop(key, None)
    env["UV_CACHE_DIR"] = str(tmp_path_factory.mktemp("poetry-uv-cache"))
    # `poetry lock` needs no project virtualenv: resolve with the running interpreter.
    env["POETRY_VIRTUALENVS_CREATE"] = "false"
    # Never read or write the machine's keyring; credentials come from env or auth.toml.
    env["POETRY_KEYRING_ENABLED"] = "false"
    return env


def _credential_env(env: Dict[str, str], password: str = SECRET) -> Dict[str, str]:
    return dict(env, POETRY_HTTP_BASIC_FIXTURE_USERNAME=USERNAME, POETRY_HTTP_BASIC_FIXTURE_PASSWORD=password)


def run_poetry(project: Path, *args: str, env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "poetry", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def locked(
    tmp_path_factory: pytest.TempPathFactory, poetry_env: Dict[str, str], index_url: str, private_index_url: str
) -> Dict[str, Path]:
    """Every distinct project, written and locked once (the locks run concurrently)."""
    base = tmp_path_factory.mktemp("locked-projects")
    templates = {
        "classic": (CLASSIC.replace("INDEX_URL", index_url), poetry_env),
        "pep621": (PEP621.replace("INDEX_URL", index_url), poetry_env),
        "non-package": (NON_PACKAGE.replace("INDEX_URL", index_url), poetry_env),
        "suite": (SUITE.replace("INDEX_URL", index_url), poetry_env),
        "private": (PRIVATE.replace("INDEX_URL", private_index_url), _credential_env(poetry_env)),
        "caret": (CARET.replace("INDEX_URL", index_url), poetry_env),
        "huge": (HUGE.replace("INDEX_URL", index_url), poetry_env),
        "new-syntax": (NEW_SYNTAX.replace("INDEX_URL", index_url), poetry_env),
        "function": (FUNCTION_APP.replace("INDEX_URL", index_url), poetry_env),
    }
    running: List[Tuple[str, Path, subprocess.Popen]] = []
    for name, (pyproject, env) in templates.items():
        root = base / name
        root.mkdir()
        (root / "pyproject.toml").write_text(pyproject)
        process = subprocess.Popen(
            [sys.executable, "-m", "poetry", "lock"], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        running.append((name, root, process))
    projects = {}
    for name, root, process in running:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, f"poetry lock failed for {name}:\n{output}"
        assert (root / "poetry.lock").is_file()
        projects[name] = root
    _narrow_python(projects["caret"], "~3.12")
    return projects


@pytest.fixture
def project(locked: Dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of a locked project: ``project("classic")``."""

    def copy(name: str) -> Path:
        destination = tmp_path / name
        shutil.copytree(locked[name], destination, ignore=shutil.ignore_patterns(".venv", "build"))
        return destination

    return copy


def stdout_lines(completed: subprocess.CompletedProcess) -> List[str]:
    return [line for line in completed.stdout.splitlines() if line.strip()]


def assert_ok(completed: subprocess.CompletedProcess) -> None:
    assert completed.returncode == 0, f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert "Traceback" not in completed.stderr


def assert_error(completed: subprocess.CompletedProcess, *needles: str) -> str:
    assert completed.returncode == 1, f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert "Traceback" not in completed.stderr + completed.stdout
    for needle in needles:
        assert needle in completed.stderr, f"{needle!r} not in stderr:\n{completed.stderr}"
    return completed.stderr


# -- end to end: builds ----------------------------------------------------------------------


@pytest.mark.subprocess
def test_classic_project_main_group_exclusions_target_and_skip(project, poetry_env):
    root = project("classic")
    built = run_poetry(root, "lambda-layer", "--arch", "arm64", "--exclude", "requests", env=poetry_env)
    assert_ok(built)
    layer = root / LAYER
    # main group only (no fake-dev-tool, no optional extra); requests by --exclude, fake-c by the
    # table's exclude-packages, boto3/botocore/urllib3 by the defaults: all additive.
    assert dists(layer) == {"fake-a", "fake-b", "fake-native"}
    assert "python/fake_native/_speedups.cpython-312-aarch64-linux-gnu.so" in names(layer)
    assert not [name for name in names(layer) if "x86_64" in name]
    lines = stdout_lines(built)
    resolve = next(line for line in lines if line.startswith("resolve: "))
    assert "3 pins from poetry.lock (groups: main)" in resolve and "python3.12 arm64" in resolve
    assert all(name in resolve for name in ("boto3", "botocore", "fake-c", "requests", "urllib3"))
    assert [stage for stage in ("resolve:", "install:", "zip:") if any(line.startswith(stage) for line in lines)] == [
        "resolve:", "install:", "zip:"]
    assert re.search(r"^install: 3 distributions with uv, audited for aarch64 \(\d+\.\d\d s\)$", built.stdout, re.M)
    assert lines[-1] == str(layer)
    assert "fake-a==1.0" not in built.stdout  # the pinned list is -v only

    again = run_poetry(root, "lambda-layer", "--arch", "arm64", "--exclude", "requests", env=poetry_env)
    assert_ok(again)
    assert "Layer is up to date" in again.stdout and "resolve:" not in again.stdout
    assert stdout_lines(again)[-1] == str(layer)


@pytest.mark.subprocess
def test_classic_project_with_group_extra_no_default_excludes_output(project, poetry_env):
    root = project("classic")
    built = run_poetry(
        root, "lambda-layer", "--with", "dev", "-E", "speed", "--no-default-excludes", "--python", "3.11",
        "--output", "dist/layer-311.zip", "-v", env=poetry_env,
    )
    assert_ok(built)
    layer = root / "dist/layer-311.zip"
    assert stdout_lines(built)[-1] == str(layer)
    assert dists(layer) == {
        "fake-a", "fake-b", "fake-native", "requests", "urllib3", "boto3", "botocore",
        "fake-dev-tool", "fake-with-extra", "fake-extra-dep",
    }  # fake-c stays out: exclude-packages applies without the defaults too
    assert "python/fake_native/_speedups.cpython-311-x86_64-linux-gnu.so" in names(layer)
    assert "python/fake_a/__init__.cpython-311.pyc" in {n.replace("__pycache__/", "") for n in names(layer)}
    assert "(groups: dev, main; extras: speed)" in built.stdout
    # -v: every pin, and the compile stage for a Python this machine has
    for pin in ("fake-dev-tool==1.0", "fake-extra-dep==1.0", "boto3==1.35.0"):
        assert f"  {pin}" in built.stdout
    assert re.search(r"^compile: .*Python 3\.11", built.stdout, re.M)
    assert not (root / LAYER).exists()


@pytest.mark.subprocess
def test_only_group(project, poetry_env):
    root = project("classic")
    assert_ok(built := run_poetry(root, "lambda-layer", "--only", "dev", env=poetry_env))
    assert dists(root / LAYER) == {"fake-dev-tool"}
    assert "(groups: dev)" in built.stdout


@pytest.mark.subprocess
def test_pep621_table_groups_all_extras_determinism(project, poetry_env):
    root = project("pep621")
    layer = root / LAYER
    first = run_poetry(root, "lambda-layer", "--all-extras", env=poetry_env)
    assert_ok(first)
    # with-groups = ["dev"] from [tool.lambda-layer]; --all-extras from [project.optional-dependencies]
    assert dists(layer) == {"fake-a", "fake-b", "pipe", "fake-native", "six", "fake-dev-tool",
                            "fake-with-extra", "fake-extra-dep"}
    assert "python/fake_native/_speedups.cpython-311-x86_64-linux-gnu.so" in names(layer)
    assert "zip: " in first.stdout and " at level 6 " in first.stdout  # compression-level from the table
    digest = hashlib.sha256(layer.read_bytes()).hexdigest()

    forced = run_poetry(root, "lambda-layer", "--all-extras", "--force", env=poetry_env)
    assert_ok(forced)
    assert "up to date" not in forced.stdout and "resolve:" in forced.stdout
    assert hashlib.sha256(layer.read_bytes()).hexdigest() == digest

    # any group option on the command line replaces the table's group keys as a whole
    without = run_poetry(root, "lambda-layer", "--without", "dev", env=poetry_env)
    assert_ok(without)
    assert dists(layer) == {"fake-a", "fake-b", "pipe", "fake-native", "six"}


@pytest.mark.subprocess
def test_package_mode_false_project(project, poetry_env):
    root = project("non-package")
    built = run_poetry(root, "lambda-layer", env=poetry_env)
    assert_ok(built)
    assert dists(root / LAYER) == {"python-dateutil", "six", "pyyaml"}  # boto3, botocore by default

    quiet = run_poetry(root, "lambda-layer", "-q", "--no-default-excludes", env=poetry_env)
    assert_ok(quiet)
    assert quiet.stdout == ""
    assert dists(root / LAYER) == {"python-dateutil", "six", "pyyaml", "boto3", "botocore"}


@pytest.mark.subprocess
def test_drop_package_tests_option(project, poetry_env):
    root = project("suite")
    built = run_poetry(root, "lambda-layer", "--drop-package-tests", "--no-compile", env=poetry_env)
    assert_ok(built)
    assert "package tests: left out 2 test directories (3 files, 1.0 KB); no kept module imports them" in stdout_lines(built)
    suite = {name for name in names(root / LAYER) if name.startswith("python/fake_suite/")}
    assert suite == {f"python/fake_suite/{path}" for path in (
        "__init__.py", "core.py", "testing/__init__.py", "needs/__init__.py", "needs/tests/__init__.py", "needs/tests/helper.py",
    )}


@pytest.mark.subprocess
def test_allow_invalid_python_option(project, poetry_env):
    """fake-new-syntax uses Python 3.12 syntax; the project targets python3.11."""
    root = project("new-syntax")
    invalid = "fake_new_syntax/aliases.py of fake-new-syntax 1.0 (SyntaxError: invalid syntax at line 1)"
    assert_error(run_poetry(root, "lambda-layer", env=poetry_env),
                 f"1 module does not compile with Python 3.11, so importing it on python3.11 fails: {invalid}.",
                 "set `allow-invalid-python = true` (--allow-invalid-python). Nothing was written")
    assert not (root / LAYER).exists()
    allowed = run_poetry(root, "lambda-layer", "--allow-invalid-python", env=poetry_env)
    assert_ok(allowed)
    assert (f"warning: 1 module does not compile with Python 3.11 and ships as source only (allow-invalid-python): "
            f"{invalid}; importing it on python3.11 fails.") in " ".join(allowed.stderr.split())
    assert "python/fake_new_syntax/aliases.py" in names(root / LAYER)
    assert not (root / "build/lambda/layer/layer.zip.fingerprint.json").exists()


# -- end to end: errors ----------------------------------------------------------------------


@pytest.mark.subprocess
def test_stale_lock_is_refused(project, poetry_env):
    root = project("pep621")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"six"]', '"six", "fake-c"]'))
    failed = run_poetry(root, "lambda-layer", env=poetry_env)
    assert_error(failed, "pyproject.toml changed significantly since poetry.lock was last generated. "
                         "Run `poetry lock` to fix the lock file.")
    assert not (root / LAYER).exists() and failed.stdout == ""


@pytest.mark.subprocess
def test_missing_wheel_names_the_package(project, poetry_env):
    root = project("classic")
    failed = run_poetry(root, "lambda-layer", "--with", "broken", env=poetry_env)
    assert_error(failed, "fake-sdist-only 1.0")
    assert not (root / LAYER).exists()


#: The size-limit error, whatever the few hundred bytes of metadata the installer adds to fake-huge.
OVERSIZE_ERROR = (
    r"The layer unzips to (262,14\d,\d{3}) bytes, [\d,]+ over Lambda's limit of 262,144,000 bytes for a function and "
    r"all its layers; Lambda would reject it\. On this layer, excluding fake-huge \(`exclude-packages`, --exclude "
    r"fake-huge\) saves \1 bytes, leaving 0 \(fits\)\. Otherwise exclude other distributions with `exclude-packages` "
    r"in \[tool\.lambda-layer\], split the layer, or set `allow-oversize = true` \(--allow-oversize\) to write it "
    r"anyway\.\n"
)


@pytest.mark.subprocess
def test_over_the_unzipped_limit_needs_allow_oversize(project, poetry_env):
    root = project("huge")
    try:
        # python3.12: the running Python may be a deprecated runtime, whose warning would join stderr
        refused = run_poetry(root, "lambda-layer", "--python", "3.12", "--no-compile", env=poetry_env)
        assert refused.returncode == 1
        assert re.fullmatch(OVERSIZE_ERROR, refused.stderr)
        assert not (root / LAYER).exists()
        assert_ok(run_poetry(root, "lambda-layer", "--python", "3.12", "--no-compile", "--allow-oversize", env=poetry_env))
        with zipfile.ZipFile(root / LAYER) as archive:
            assert archive.getinfo("python/fake_huge/blob.bin").file_size == HUGE_BLOB_BYTES
    finally:
        shutil.rmtree(root / "build", ignore_errors=True)


# -- private sources -------------------------------------------------------------------------


@pytest.mark.subprocess
def test_private_source_uses_poetrys_credentials_and_never_prints_them(project, poetry_env, tmp_path):
    root = project("private")
    layer = root / LAYER
    env = dict(poetry_env, UV_CACHE_DIR=str(tmp_path / "uv-cache"), POETRY_CONFIG_DIR=str(tmp_path / "poetry-config"))
    # no credentials: the index answers 401 and the build fails cleanly
    anonymous = run_poetry(root, "lambda-layer", env=env)
    assert_error(anonymous, "401")
    wrong = run_poetry(root, "lambda-layer", "-vvv", env=_credential_env(env, "wrong-" + SECRET))
    assert_error(wrong, "401")
    assert SECRET not in wrong.stdout + wrong.stderr
    assert not layer.exists()

    # credentials stored with `poetry config http-basic.fixture` (auth.toml, keyring off): read
    # through Poetry's PasswordManager, since no POETRY_HTTP_BASIC_* variable is set
    assert_ok(run_poetry(root, "config", "http-basic.fixture", USERNAME, SECRET, env=env))
    built = run_poetry(root, "lambda-layer", "-vvv", env=env)
    assert_ok(built)
    assert dists(layer) == {"fake-a", "fake-b"}
    assert SECRET not in built.stdout + built.stderr

    # POETRY_HTTP_BASIC_FIXTURE_USERNAME/PASSWORD, as Poetry itself reads them
    env_only = dict(_credential_env(poetry_env), UV_CACHE_DIR=str(tmp_path / "uv-cache-2"))
    built = run_poetry(root, "lambda-layer", "--force", "-vvv", env=env_only)
    assert_ok(built)
    assert SECRET not in built.stdout + built.stderr

    failed = run_poetry(root, "lambda-layer", "--with", "broken", "-vvv", env=env_only)
    assert_error(failed, "fake-sdist-only")
    assert SECRET not in failed.stdout + failed.stderr


@pytest.mark.subprocess
def test_credentials_travel_in_the_installers_environment_only(project, poetry_env, private_index_url, uv_recorder,
                                                               tmp_path):
    """A shim in front of uv records what it gets: the password is in its environment, nowhere else."""
    root = project("private")
    record = tmp_path / "uv.jsonl"
    env = dict(_credential_env(poetry_env), UV_CACHE_DIR=str(tmp_path / "uv-cache"), HATCH_UV=str(uv_recorder),
               LAYER_TEST_UV_RECORD=str(record))
    built = run_poetry(root, "lambda-layer", "-vvv", env=env)
    assert_ok(built)
    [install] = read_uv_records(record)
    assert install["argv"][:4] == ["pip", "install", "--target", install["argv"][3]]
    host = private_index_url.split("://", 1)[1]
    assert install["env"]["UV_DEFAULT_INDEX"] == f"http://{USERNAME}:{SECRET}@{host}"
    assert SECRET not in json.dumps(install["argv"]) and SECRET not in json.dumps(install["files"])
    assert list(install["files"].values()) == [
        f"fake-a==1.0 --hash=sha256:{_sha256_of(root, 'fake-a')}\nfake-b==1.0 --hash=sha256:{_sha256_of(root, 'fake-b')}\n"]
    assert [path for path in root.rglob("*") if path.is_file() and SECRET.encode() in path.read_bytes()] == []
    assert SECRET not in built.stdout + built.stderr

    # The pins are locked from the private source, so they come from it alone: the user's own UV_INDEX
    # (here one uv could not even parse) is not given to the install at all.
    other = "0ther-Secret-4412"
    rebuilt = run_poetry(root, "lambda-layer", "--force", "--python", "3.12",
                         env=dict(env, UV_INDEX=f"http://ci-bot:{other}@127.0.0.1:99999/simple/"))
    assert_ok(rebuilt)
    second = read_uv_records(record)[1]
    assert "UV_INDEX" not in second["env"] and second["env"]["UV_DEFAULT_INDEX"] == f"http://{USERNAME}:{SECRET}@{host}"
    assert other not in rebuilt.stdout + rebuilt.stderr

    # A source whose URL uv cannot parse (a port out of range): uv echoes it with the password Poetry's
    # configuration gave; masked in the message, and in uv's whole output with -v.
    _move_source(root, host.split("/")[0], "127.0.0.1:99999")
    masked = "http://layer-bot:****@127.0.0.1:99999/simple/"
    failed = run_poetry(root, "lambda-layer", "--force", "--python", "3.12", env=env)
    assert failed.returncode == 1
    assert failed.stderr == (
        "uv pip install failed (exit 2):\n"
        f"  error: invalid value '{masked}' for '--default-index <DEFAULT_INDEX>': invalid port number\n"
        "With -v, the whole output of uv pip install is shown.\n"
    )
    verbose = run_poetry(root, "lambda-layer", "--force", "--python", "3.12", "-v", env=env)
    assert verbose.returncode == 1
    assert verbose.stderr.startswith(
        f"error: invalid value '{masked}' for '--default-index <DEFAULT_INDEX>': invalid port number\n"
        "\nFor more information, try '--help'.\nuv pip install failed (exit 2):\n")
    assert SECRET not in failed.stdout + failed.stderr + verbose.stdout + verbose.stderr


def _move_source(root: Path, old: str, new: str) -> None:
    """Point the project's source (pyproject.toml and poetry.lock) at ``new`` instead of ``old`` (host:port),
    with the lock's content-hash recomputed as Poetry computes it, so the lock stays fresh."""
    from shared_core.pins.poetry_lock import poetry_content_hash
    from shared_core.support.user_files import tomllib

    for name in ("pyproject.toml", "poetry.lock"):
        (root / name).write_text((root / name).read_text().replace(old, new))
    lock = (root / "poetry.lock").read_text()
    recorded = tomllib.loads(lock)["metadata"]["content-hash"]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    fresh = poetry_content_hash(pyproject)
    (root / "poetry.lock").write_text(lock.replace(f'content-hash = "{recorded}"', f'content-hash = "{fresh}"'))


def _sha256_of(root: Path, name: str) -> str:
    """The hash poetry.lock records for ``name``'s only wheel."""
    from shared_core.support.user_files import tomllib

    [package] = [p for p in tomllib.loads((root / "poetry.lock").read_text())["package"] if p["name"] == name]
    [wheel] = package["files"]
    return wheel["hash"].split(":", 1)[1]


# -- in process: Poetry's Application through cleo's tester ----------------------------------




@pytest.mark.in_process
def test_poetry_list_shows_the_command(poetry_app):
    code, out, _ = poetry_app("list")
    assert code == 0
    assert re.search(r"^\s+lambda-layer\s+Builds an AWS Lambda layer zip of the locked runtime dependencies\.$", out, re.M)


@pytest.mark.in_process
def test_help_documents_every_option(poetry_app):
    code, out, _ = poetry_app("lambda-layer --help")
    assert code == 0
    for option in ("--with", "--without", "--only", "--all-groups", "--extras", "--all-extras", "--python",
                   "--arch", "--exclude", "--no-default-excludes", "--output", "--force", "--no-compile",
                   "--installer", "--compression-level", "--allow-oversize", "--drop-package-tests",
                   "--allow-invalid-python"):
        line = next((line for line in out.splitlines() if re.search(rf"{option}\b(?!-)", line)), None)
        assert line is not None and len(line.split(option, 1)[1].strip()) > 10, f"{option} undocumented"
    assert "[tool.lambda-layer]" in out


@pytest.mark.in_process
def test_plugin_import_is_cheap():
    probe = (
        "import sys\n"
        "from cleo.io.null_io import NullIO\n"
        "from poetry.console.application import Application\n"
        "app = Application(); app._load_plugins(NullIO())\n"
        "assert app.command_loader.has('lambda-layer')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('shared_core', 'poetry_lambda_layer.command'))))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


@pytest.mark.in_process
@pytest.mark.parametrize("case, args, needles", [
    ("no-lock", "", ["poetry.lock not found", "Run `poetry lock`"]),
    ("stale", "", ["pyproject.toml changed significantly since poetry.lock was last generated. "
                   "Run `poetry lock` to fix the lock file."]),
    ("lock-2.0", "", ["lock-version 2.0", "poetry lock"]),
    ("arch", "--arch sparc", ["'sparc'", "x86_64, arm64"]),
    ("quiet", "-q --arch sparc", ["'sparc'"]),
    ("python", "--python 3.8", ["'3.8'", "Supported versions"]),
    ("installer", "--installer conda", ["--installer", "'conda'"]),
    ("level", "--compression-level max", ["--compression-level", "'max'"]),
    ("wrong-type", "", ["tool.lambda-layer.compression-level", "'high'"]),
    ("unknown-key", "", ["tool.lambda-layer.arch", "Known keys"]),
    ("extra", "-E speed,turbo", ["--extras names an extra that pyproject.toml does not define: 'turbo' (defined: speed)."]),
    ("table-extra", "", ["Field `tool.lambda-layer.extras` names an extra that pyproject.toml does not define: 'turbo' "
                         "(defined: speed)."]),
    ("table-group", "", ["tool.lambda-layer.only-groups", "'lambda'", "dev"]),
    ("extras-and-all", "-E speed --all-extras", ["--extras", "--all-extras"]),
    ("broken-lock", "", ["poetry.lock is not valid TOML", "poetry lock"]),
])
def test_errors_are_one_poetry_error_line(poetry_app, project, case, args, needles):
    root = project("classic")
    pyproject, lock = root / "pyproject.toml", root / "poetry.lock"
    if case == "no-lock":
        lock.unlink()
    elif case == "stale":
        _rewrite(pyproject, 'fake-c = "*"\n', 'fake-c = "*"\nsix = "*"\n')
    elif case == "lock-2.0":
        _rewrite(lock, 'lock-version = "2.1"', 'lock-version = "2.0"')
    elif case == "broken-lock":
        lock.write_text("[[package]\nname = \n")
    elif case == "wrong-type":
        _rewrite(pyproject, "[tool.lambda-layer]\n", '[tool.lambda-layer]\ncompression-level = "high"\n')
    elif case == "unknown-key":
        _rewrite(pyproject, "[tool.lambda-layer]\n", '[tool.lambda-layer]\narch = "arm64"\n')
    elif case == "table-extra":
        _rewrite(pyproject, "[tool.lambda-layer]\n", '[tool.lambda-layer]\nextras = ["turbo"]\n')
    elif case == "table-group":
        _rewrite(pyproject, "[tool.lambda-layer]\n", '[tool.lambda-layer]\nonly-groups = ["lambda"]\n')
    code, out, err = poetry_app(f"lambda-layer --project {root} {args}")
    assert code == 1, (out, err)
    assert out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"
    assert not (root / LAYER).exists()


@pytest.mark.in_process
def test_table_groups_and_extras_apply_without_options_progress_on_terminal(poetry_app, project, monkeypatch):
    """``with-groups``/``extras`` in the table select what ``--with``/``-E`` would (in process);
    on a terminal the zip step draws a progress bar on stderr, stdout stays one line per stage."""
    root = project("classic")
    _rewrite(root / "pyproject.toml", "[tool.lambda-layer]\n",
             '[tool.lambda-layer]\nwith-groups = ["dev"]\nextras = ["speed"]\narchitecture = "arm64"\n')
    code, out, err = poetry_app(f"lambda-layer --project {root}", decorated=True)
    assert code == 0, err
    files = int(re.search(r"^zip: (\d+) files", out, re.M).group(1))
    assert f"{files}/{files} [" in err and f"{files}/{files} [" not in out
    assert dists(root / LAYER) == {"fake-a", "fake-b", "fake-native", "requests", "fake-dev-tool",
                                   "fake-with-extra", "fake-extra-dep"}
    assert "(groups: dev, main; extras: speed)" in out and "python3.12 arm64" in out
    assert out.splitlines()[-1] == str(root / LAYER)


@pytest.mark.in_process
def test_target_from_poetrys_python_constraint_and_shared_options(poetry_app, project):
    root = project("caret")
    code, out, err = poetry_app(f"lambda-layer --project {root} --arch aarch64 -o dist/ --no-compile")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "target: python3.12 arm64 (the only Lambda runtime python in [tool.poetry.dependencies] '~3.12' allows)"
    assert lines[-1] == str(root / "dist/layer.zip")
    assert "python/fake_native/_speedups.cpython-312-aarch64-linux-gnu.so" in names(root / "dist/layer.zip")

    code, out, err = poetry_app(f"lambda-layer --project {root} --python 3.11")
    assert (code, out) == (1, "")
    assert err == (
        "python3.11 (--python) is excluded by the project's python in [tool.poetry.dependencies] '~3.12' "
        "(pyproject.toml), which allows python3.12 on Lambda. Choose one of those, or change python in "
        "[tool.poetry.dependencies].\n"
    )


@pytest.mark.in_process
def test_several_targets_through_poetry(poetry_app, project):
    """`--python` repeated (or comma separated) asks for several targets, each built from the same lock."""
    root = project("classic")
    code, out, err = poetry_app(f"lambda-layer --project {root} --python 3.12 --python 3.13 --arch arm64")
    assert code == 0, err
    layers = [root / "build/lambda/layer" / name / "layer.zip" for name in ("py312-arm64", "py313-arm64")]
    assert out.splitlines()[0] == "targets: python3.12 arm64, python3.13 arm64 (--python)"
    assert out.splitlines()[-2:] == [str(layer) for layer in layers]
    for layer, tag in zip(layers, ("312", "313")):
        assert f"python/fake_native/_speedups.cpython-{tag}-aarch64-linux-gnu.so" in names(layer)
        manifest = json.loads(layer.with_name("layer.zip.json").read_text())
        assert (manifest["source"]["file"], manifest["target"]["runtime"]) == ("poetry.lock", f"python3.{tag[1:]}")


@pytest.mark.in_process
def test_a_poetry_projects_function_through_poetry(poetry_app, project, seed_wheels, monkeypatch, tmp_path):
    """`poetry lambda-layer function`: the layer from Poetry's lock, then the project's wheel (poetry-core)
    without dependencies, answering an event the way Lambda calls it."""
    from tests.e2e.test_function import HANDLER, invoke, members

    monkeypatch.setenv("UV_FIND_LINKS", str(seed_wheels))  # poetry-core, to build the project's wheel
    root = project("function")
    (root / "src/app").mkdir(parents=True)
    (root / "src/app/__init__.py").write_text("")
    (root / "src/app/main.py").write_text(HANDLER)
    code, out, err = poetry_app(f"lambda-layer function --project {root}")
    assert code == 0, err
    function = root / "build/lambda/function/function.zip"
    assert out.splitlines()[-1] == str(function)
    assert [name for name in members(function) if not name.startswith("poetry_fn-2.0.dist-info/")] == [
        "app/__init__.py", "app/__pycache__/__init__.cpython-312.pyc", "app/__pycache__/main.cpython-312.pyc",
        "app/main.py"]
    assert invoke(function, root / LAYER, "app.main.handler", ["x"], tmp_path) == {"six": "six", "event": ["x"]}
