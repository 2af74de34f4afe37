"""Session fixtures: one wheelhouse, one loopback index, and tool isolation for every test.

Everything runs offline: uv and pip read only the wheelhouse (``UV_OFFLINE``, ``PIP_NO_INDEX``)
or the loopback index; no user or machine configuration of pip, uv, Poetry or Hatch leaks in.
Helpers live in ``tests/helpers/``; the end of this file holds every test to its ``in_process`` or
``subprocess`` marker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Iterator, Tuple

import pytest

from tests.helpers.indexes import BasicAuthHandler, serve_index
from tests.helpers.launches import build_tool_of, entry_point_of, recording_launches
from tests.helpers.paths import REPO_ROOT, SEED_WHEELS
from tests.helpers.uv_recorder import write_uv_recorder
from tests.helpers.wheelfactory import build_private_wheelhouse, build_wheelhouse

#: The AWS emulator's fixtures (moto, the fault proxy) for the publish tests; pytester for tests/test_markers.py.
pytest_plugins = ["tests.helpers.aws_emulator", "pytester"]

_TOOL_PREFIXES = ("PIP_", "UV_", "HATCH_", "POETRY_", "VIRTUAL_ENV", "CONDA_", "PYTHONPATH", "SOURCE_DATE_EPOCH")


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built for the session; ``LAMBDA_LAYER_TEST_WHEELHOUSE`` names one built once by ``tools/mutants.py``
    for its many short sessions."""
    prebuilt = os.environ.get("LAMBDA_LAYER_TEST_WHEELHOUSE")
    return Path(prebuilt) if prebuilt else build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def private_index_url(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_index(wheelhouse, tmp_path_factory.mktemp("private-index"), BasicAuthHandler) as url:
        yield url


@pytest.fixture(scope="session")
def private_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The "private" twin of the wheelhouse's ``fake-confused 1.0``: same name and version, other content."""
    return build_private_wheelhouse(tmp_path_factory.mktemp("private-wheels"))


@pytest.fixture(scope="session")
def shadow_index_url(private_wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second loopback index, serving :func:`private_wheelhouse`."""
    with serve_index(private_wheelhouse, tmp_path_factory.mktemp("shadow-index")) as url:
        yield url


@pytest.fixture
def poetry_app(core_env, index_url, monkeypatch):
    """``run("lambda-layer ...") -> (exit code, stdout, stderr)`` on a fresh Poetry Application.

    The Poetry projects lock their packages from a source (the loopback index), and a pin locked
    from a source is installed from that source alone: the installer must reach it, not the wheelhouse.
    The network is on for that, so anything not bound to a source (a build backend) is looked up in
    the loopback index too, never on PyPI.
    """
    for key in ("UV_OFFLINE", "UV_FIND_LINKS", "PIP_NO_INDEX", "PIP_FIND_LINKS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("UV_DEFAULT_INDEX", index_url)
    monkeypatch.setenv("PIP_INDEX_URL", index_url)
    from cleo.testers.application_tester import ApplicationTester
    from poetry.console.application import Application

    def run(command: str, decorated: bool = False) -> Tuple[int, str, str]:
        application = Application()
        application.auto_exits(False)
        tester = ApplicationTester(application)
        code = tester.execute(command, decorated=decorated)
        return code, tester.io.fetch_output(), tester.io.fetch_error()

    return run


@pytest.fixture(scope="session")
def index_url(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loopback PEP 503 index over the wheelhouse (Poetry has no find-links source)."""
    with serve_index(wheelhouse, tmp_path_factory.mktemp("index")) as url:
        yield url


@pytest.fixture(scope="session")
def session_dirs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    base = tmp_path_factory.mktemp("tools")
    dirs = {name: base / name for name in ("uv-cache", "layer-cache", "poetry-config", "poetry-cache", "poetry-data", "hatch-data", "hatch-cache", "home")}
    for path in dirs.values():
        path.mkdir()
    (base / "hatch-config.toml").touch()
    dirs["hatch-config"] = base / "hatch-config.toml"
    return dirs


@pytest.fixture(scope="session")
def offline_env(wheelhouse: Path, session_dirs: Dict[str, Path]) -> Dict[str, str]:
    """A subprocess environment that sees only the wheelhouse and fresh tool directories."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_TOOL_PREFIXES)}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        UV_NO_CONFIG="1",
        UV_OFFLINE="1",
        UV_FIND_LINKS=str(wheelhouse),
        UV_CACHE_DIR=str(session_dirs["uv-cache"]),
        UV_PYTHON_DOWNLOADS="never",
        HATCH_DATA_DIR=str(session_dirs["hatch-data"]),
        HATCH_CACHE_DIR=str(session_dirs["hatch-cache"]),
        HATCH_CONFIG=str(session_dirs["hatch-config"]),
        HATCH_ENV_ACTIVE="",
        POETRY_CONFIG_DIR=str(session_dirs["poetry-config"]),
        POETRY_CACHE_DIR=str(session_dirs["poetry-cache"]),
        POETRY_DATA_DIR=str(session_dirs["poetry-data"]),
        POETRY_VIRTUALENVS_IN_PROJECT="true",
        POETRY_NO_INTERACTION="1",
        NO_COLOR="1",
        LAMBDA_LAYER_CACHE_DIR=str(session_dirs["layer-cache"]),
    )
    return env


@pytest.fixture
def core_env(offline_env: Dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    """The same isolation for in-process calls of the core (it runs uv with ``os.environ``)."""
    for key in list(os.environ):
        if key.startswith(_TOOL_PREFIXES):
            monkeypatch.delenv(key)
    for key, value in offline_env.items():
        monkeypatch.setenv(key, value)
    return offline_env


@pytest.fixture(scope="session")
def uv_recorder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An executable that records its argv, UV_*/PIP_* environment, stdin and ``-r`` file, then runs
    the real uv. Point ``HATCH_UV`` at it (our code's first choice of uv) and ``LAYER_TEST_UV_RECORD``
    at a file to append to; ``tests.helpers.uv_recorder.read_uv_records`` reads that file back."""
    from shared_core.support.toolchain import find_uv

    return write_uv_recorder(tmp_path_factory.mktemp("uv-recorder"), find_uv())


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Write a project directory: ``make_project(pyproject_text, **other_files)`` -> its root."""

    def factory(pyproject: str = "", name: str = "proj", **files: str) -> Path:
        root = tmp_path / name
        root.mkdir()
        if pyproject:
            (root / "pyproject.toml").write_text(pyproject)
        for filename, text in files.items():
            (root / filename.replace("__", ".")).write_text(text)
        return root

    return factory


@pytest.fixture(scope="session")
def seed_wheels() -> Path:
    """The wheels the Makefile's set-up step downloads (hatchling, uv, deflate, ... at the venv's
    versions) for the tests that install into a fresh environment; missing ones fail, not skip."""
    for wheel in ("hatchling", "uv", "poetry_core"):
        if not any(SEED_WHEELS.glob(f"{wheel}-*.whl")):
            pytest.fail(f"no {wheel} wheel in {SEED_WHEELS}: run `make test` (its set-up step downloads hatchling, uv, "
                        "deflate, ... once) or set LAMBDA_LAYER_SEED_WHEELS")
    return SEED_WHEELS


@pytest.fixture(scope="session")
def plugin_wheel(tmp_path_factory: pytest.TempPathFactory, offline_env: Dict[str, str]) -> Path:
    """lambda-layer-build's wheel, built from a fresh copy of this checkout (no cache serves an old build)."""
    source = tmp_path_factory.mktemp("plugin-source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, source / name)
    for package in ("shared_core", "hatch_lambda_layer", "poetry_lambda_layer"):
        shutil.copytree(REPO_ROOT / package, source / package, ignore=ignore)
    out = tmp_path_factory.mktemp("plugin-wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=source, env=offline_env, check=True, capture_output=True, timeout=120,
    )
    [wheel] = out.glob("lambda_layer_build-*.whl")
    return wheel



# -- how a test runs its entry point: the in_process / subprocess markers, held to what it launches ----

#: The folders whose tests run an entry point, each saying how with exactly one of :data:`HOW`.
ENTRY_POINT_FOLDERS = ("e2e", "adversarial")
HOW = ("in_process", "subprocess")


def _folder(item: pytest.Item) -> str:
    """``e2e``, ``adversarial``, ``core``, ... for a test under ``tests/<folder>/``; ``""`` otherwise."""
    try:
        parts = Path(str(item.path)).relative_to(item.config.rootpath).parts
    except ValueError:
        return ""
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else ""


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Fail the run when an end-to-end or adversarial test says neither or both of :data:`HOW`."""
    wrong = []
    for item in items:
        if _folder(item) in ENTRY_POINT_FOLDERS:
            how = sorted({mark.name for mark in item.iter_markers() if mark.name in HOW})
            if len(how) != 1:
                wrong.append(f"{item.nodeid} ({' and '.join(how) or 'neither'})")
    if wrong:
        raise pytest.UsageError(
            "Every test under tests/e2e/ and tests/adversarial/ is marked either in_process (its entry point runs "
            "inside pytest) or subprocess (it launches lambda-layer, poetry or hatch as a process); these are not:\n  "
            + "\n  ".join(wrong)
        )


@pytest.fixture(autouse=True)
def launches_match_the_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """An ``in_process`` test that launched an entry point fails, and so does a ``subprocess`` test that
    launched none (what counts: :mod:`tests.helpers.launches`); a test of the core alone that ran a build
    tool fails too. Every ``subprocess.Popen`` of the test and its function-scoped fixtures is recorded."""
    folder = _folder(request.node)
    if folder not in (*ENTRY_POINT_FOLDERS, "core"):
        yield
        return
    with recording_launches() as launched:
        yield
    if folder == "core":
        tools = sorted({tool for tool in map(build_tool_of, launched) if tool})
        if tools:
            pytest.fail(f"This test of the core ran {', '.join(tools)}: a test that needs uv, pip, Poetry or Hatch "
                        "belongs in tests/e2e/.", pytrace=False)
        return
    entry_points = sorted({entry for entry in map(entry_point_of, launched) if entry})
    if entry_points and request.node.get_closest_marker("in_process"):
        pytest.fail(f"Marked in_process, but launched {', '.join(entry_points)} as its own process: mark it subprocess.",
                    pytrace=False)
    if not entry_points and request.node.get_closest_marker("subprocess"):
        pytest.fail("Marked subprocess, but launched no entry point (lambda-layer, poetry, hatch, or python -m "
                    "hatchling, hatch, poetry or shared_core): mark it in_process.", pytrace=False)
