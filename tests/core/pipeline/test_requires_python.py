"""shared_core.pipeline.requires_python: requires-python (PEP 440 and Poetry's forms) as Lambda runtimes."""

from __future__ import annotations

import pytest

from shared_core.errors import ConfigError
from shared_core.pipeline.requires_python import RequiresPython, from_poetry_constraint, from_specifier, of_pyproject

ALL = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


@pytest.mark.parametrize("text, allowed", [
    ("^3.12", ("3.12", "3.13", "3.14")),
    ("~3.12", ("3.12",)),
    ("3.12", ("3.12",)),
    ("3.12.*", ("3.12",)),
    (">=3.9,<3.11", ("3.9", "3.10")),
    (">=3.9 <3.11", ("3.9", "3.10")),
    (">=3.9,<3.10 || >=3.13", ("3.9", "3.13", "3.14")),
    ("!=3.10.*,>=3.9", ("3.9", "3.11", "3.12", "3.13", "3.14")),
    (">=3.12.4", ("3.12", "3.13", "3.14")),
    ("^3", ALL),
    ("*", ALL),
    ("<3.9", ()),
])
def test_poetry_constraints_as_lambda_runtimes(text, allowed):
    assert from_poetry_constraint(text) == RequiresPython(text, "python in [tool.poetry.dependencies]", allowed)


@pytest.mark.parametrize("text, allowed", [
    (">=3.12", ("3.12", "3.13", "3.14")),
    ("==3.13.*", ("3.13",)),
    (">=3.10,<3.12", ("3.10", "3.11")),
    ("~=3.13", ("3.13", "3.14")),
])
def test_pep440_requires_python(text, allowed):
    assert from_specifier(text).allowed == allowed


def test_unreadable_constraints_name_themselves():
    with pytest.raises(ConfigError) as error:
        from_poetry_constraint("^three")
    assert str(error.value) == (
        "python in [tool.poetry.dependencies] '^three' in pyproject.toml is not a Python constraint this tool can "
        "read. Set python-version in [tool.lambda-layer] (or pass --python) to choose the Lambda runtime."
    )
    with pytest.raises(ConfigError) as error:
        from_specifier(">=three")
    assert str(error.value) == (
        "requires-python '>=three' in pyproject.toml is not a valid version specifier (PEP 440, e.g. \">=3.12\"). "
        "Fix it, or set python-version in [tool.lambda-layer]."
    )


def test_pep621_wins_over_poetrys_python():
    pyproject = {"project": {"requires-python": "==3.13.*"}, "tool": {"poetry": {"dependencies": {"python": "^3.9"}}}}
    assert of_pyproject(pyproject) == RequiresPython("==3.13.*", "requires-python", ("3.13",))
    del pyproject["project"]
    assert of_pyproject(pyproject).allowed == ALL
    assert of_pyproject({}) is None
