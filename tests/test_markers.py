"""The in_process / subprocess markers are honest: an end-to-end test carries exactly one, and what it
launches agrees with it; a test of the core runs no build tool. Checked on small test trees run by pytester
with this suite's own hook and fixture."""

from __future__ import annotations

import sys

import pytest

from tests.helpers.launches import build_tool_of, entry_point_of

CONFTEST = "from tests.conftest import launches_match_the_marker, pytest_collection_modifyitems  # noqa: F401\n"
INI = "[pytest]\nmarkers =\n    in_process: in pytest\n    subprocess: as a process\n"
PYTHON = sys.executable


@pytest.fixture
def tree(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    return pytester


def teardown_errors(result: pytest.RunResult) -> list:
    """``(test name, message)`` of every error pytester's run reported at a test's teardown."""
    lines = result.outlines
    return [(line.strip("_ ").split(" of ")[-1], lines[index + 1]) for index, line in enumerate(lines)
            if "ERROR at teardown of" in line]


def write(pytester: pytest.Pytester, relpath: str, source: str) -> None:
    path = pytester.path / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("import subprocess, sys\nimport pytest\n\n" + source)


@pytest.mark.parametrize("argv, entry_point", [
    (["lambda-layer", "build"], "lambda-layer"),
    (["/venv/bin/lambda-layer", "publish"], "lambda-layer"),
    (["poetry", "lock"], "poetry"),
    (["/usr/bin/hatch", "build"], "hatch"),
    ([PYTHON, "-m", "poetry", "lambda-layer"], "python -m poetry"),
    (["python3.12", "-I", "-m", "hatchling", "build"], "python -m hatchling"),
    (["python", "-W", "ignore", "-mhatch", "build"], "python -m hatch"),
    ([PYTHON, "-m", "shared_core.cli", "build"], "python -m shared_core.cli"),
    ([PYTHON, "-c", "import sys; from shared_core.cli import main; sys.exit(main())", "build"], "python -c (shared_core.cli)"),
    ([PYTHON, "/venv/bin/lambda-layer", "build"], "lambda-layer"),
    (["uv", "lock"], None),
    ([PYTHON, "-m", "pip", "install", "x"], None),
    ([PYTHON, "-c", "import six; print(six.VALUE)"], None),
    ([PYTHON, "/tmp/probe.py"], None),
    (["unzip", "-t", "layer.zip"], None),
    (["git", "commit"], None),
    ([], None),
])
def test_what_is_an_entry_point(argv, entry_point):
    assert entry_point_of(argv) == entry_point


@pytest.mark.parametrize("argv, tool", [
    (["/venv/bin/uv", "pip", "install"], "uv"),
    (["pip", "install"], "pip"),
    ([PYTHON, "-m", "pip", "install"], "python -m pip"),
    ([PYTHON, "-m", "uv", "lock"], "python -m uv"),
    (["lambda-layer", "build"], "lambda-layer"),
    ([PYTHON, "-c", "print(1)"], None),
    (["unzip", "-t", "layer.zip"], None),
])
def test_what_is_a_build_tool(argv, tool):
    assert build_tool_of(argv) == tool


def test_an_end_to_end_test_with_neither_or_both_markers_fails_the_run(tree):
    write(tree, "tests/e2e/test_a.py", "def test_unmarked():\n    pass\n\n"
                                      "@pytest.mark.in_process\n@pytest.mark.subprocess\ndef test_both():\n    pass\n\n"
                                      "@pytest.mark.in_process\ndef test_marked():\n    pass\n")
    write(tree, "tests/adversarial/test_b.py", "def test_unmarked_too():\n    pass\n")
    write(tree, "tests/core/test_c.py", "def test_a_core_test_needs_no_marker():\n    pass\n")
    result = tree.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = "\n".join(result.stderr.lines)
    assert ("ERROR: Every test under tests/e2e/ and tests/adversarial/ is marked either in_process (its entry point runs "
            "inside pytest) or subprocess (it launches lambda-layer, poetry or hatch as a process); these are not:\n"
            "  tests/adversarial/test_b.py::test_unmarked_too (neither)\n"
            "  tests/e2e/test_a.py::test_unmarked (neither)\n"
            "  tests/e2e/test_a.py::test_both (in_process and subprocess)") in text


def test_a_module_mark_counts_for_its_tests(tree):
    write(tree, "tests/e2e/test_a.py", "pytestmark = pytest.mark.in_process\n\ndef test_one():\n    pass\n")
    result = tree.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_what_a_test_launched_must_agree_with_its_marker(tree):
    write(tree, "tests/e2e/test_a.py", f"""
@pytest.mark.in_process
def test_in_process_that_launches_the_console_script():
    subprocess.run([{PYTHON!r}, "-m", "shared_core.cli", "--version"], check=True, capture_output=True)

@pytest.mark.in_process
def test_in_process_that_runs_only_tools():
    subprocess.run(["git", "--version"], check=True, capture_output=True)
    subprocess.run([{PYTHON!r}, "-c", "print(1)"], check=True, capture_output=True)

@pytest.mark.subprocess
def test_subprocess_that_launches_the_console_script():
    subprocess.run([{PYTHON!r}, "-m", "shared_core.cli", "--version"], check=True, capture_output=True)

@pytest.mark.subprocess
def test_subprocess_that_launches_no_entry_point():
    subprocess.run([{PYTHON!r}, "-c", "print(1)"], check=True, capture_output=True)
""")
    result = tree.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=2)
    assert teardown_errors(result) == [
        ("test_in_process_that_launches_the_console_script",
         "Marked in_process, but launched python -m shared_core.cli as its own process: mark it subprocess."),
        ("test_subprocess_that_launches_no_entry_point",
         "Marked subprocess, but launched no entry point (lambda-layer, poetry, hatch, or python -m hatchling, hatch, "
         "poetry or shared_core): mark it in_process."),
    ]


def test_a_test_of_the_core_runs_no_build_tool(tree):
    write(tree, "tests/core/test_a.py", f"""
def test_runs_pip():
    subprocess.run([{PYTHON!r}, "-m", "pip", "--version"], check=True, capture_output=True)

def test_runs_a_python_probe():
    subprocess.run([{PYTHON!r}, "-c", "print(1)"], check=True, capture_output=True)
""")
    result = tree.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    assert teardown_errors(result) == [
        ("test_runs_pip", "This test of the core ran python -m pip: a test that needs uv, pip, Poetry or Hatch belongs in "
                          "tests/e2e/."),
    ]
