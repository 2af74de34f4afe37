"""Choosing the target Python: requires-python (PEP 440 and Poetry's forms), the order of sources,
the deprecation warning, and where each setting came from."""

from __future__ import annotations

from datetime import date

import pytest

from shared_core.errors import ConfigError
from shared_core.lambda_runtime import deprecation_warning
from shared_core.pipeline.requires_python import RequiresPython, from_poetry_constraint, from_specifier, of_pyproject
from shared_core.pipeline.target import choose_python, choose_target
from shared_core.settings.layer import SHARED_TABLE, LayerConfig
from shared_core.settings.tables import apply_command_line, from_tables

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


AT_LEAST_312 = RequiresPython(">=3.12", "requires-python", ("3.12", "3.13", "3.14"))


@pytest.mark.parametrize("chosen, requires, running, expected", [
    ("3.13", AT_LEAST_312, "3.11", ("3.13", "--python")),
    (None, RequiresPython("~3.12", "python in [tool.poetry.dependencies]", ("3.12",)), "3.13",
     ("3.12", "the only Lambda runtime python in [tool.poetry.dependencies] '~3.12' allows")),
    (None, AT_LEAST_312, "3.13", ("3.13", "the running interpreter; set python-version to pin it")),
    (None, AT_LEAST_312, "3.11", ("3.12", "the oldest Lambda runtime requires-python '>=3.12' allows; the running "
                                          "interpreter is 3.11; set python-version to pin it")),
    (None, None, "3.10", ("3.10", "the running interpreter; set python-version to pin it")),
])
def test_order_of_sources(chosen, requires, running, expected):
    assert choose_python(chosen, "--python", requires, running) == expected


def test_excluded_target_names_both():
    with pytest.raises(ConfigError) as error:
        choose_python("3.11", "python-version from [tool.lambda-layer]", AT_LEAST_312, "3.12")
    assert str(error.value) == (
        "python3.11 (python-version from [tool.lambda-layer]) is excluded by the project's requires-python '>=3.12' "
        "(pyproject.toml), which allows python3.12, python3.13, python3.14 on Lambda. Choose one of those, or change "
        "requires-python."
    )


def test_no_lambda_runtime_allowed_or_running():
    with pytest.raises(ConfigError) as error:
        choose_python(None, "", RequiresPython("<3.9", "requires-python", ()), "3.11")
    assert str(error.value) == (
        "The project's requires-python '<3.9' (pyproject.toml) allows no Lambda Python runtime (python3.9, "
        "python3.10, python3.11, python3.12, python3.13, python3.14). Widen it to include the runtime the layer is for."
    )
    with pytest.raises(ConfigError) as error:
        choose_python(None, "", None, "3.8")
    assert str(error.value) == (
        "The running interpreter is Python 3.8, which is not a Lambda runtime, and the project sets no requires-python. "
        "Set python-version in [tool.lambda-layer] (or pass --python) to one of 3.9, 3.10, 3.11, 3.12, 3.13, 3.14."
    )
    with pytest.raises(ConfigError) as error:
        choose_python(None, "", None, "3.15", table="tool.hatch.build.targets.lambda-layer")
    assert str(error.value).endswith(
        "Set python-version in [tool.hatch.build.targets.lambda-layer] or [tool.lambda-layer] to one of 3.9, 3.10, "
        "3.11, 3.12, 3.13, 3.14."
    )


def test_choice_says_where_the_version_came_from():
    table = from_tables(LayerConfig, ({"python-version": "3.12", "architecture": "aarch64"}, SHARED_TABLE))
    choice = choose_target(table, AT_LEAST_312, running="3.11", today=date(2026, 1, 1))
    assert choice.describe() == "python3.12 arm64 (python-version from [tool.lambda-layer])"
    assert choice.warning is None
    flagged = apply_command_line(table, {"python_version": "3.13", "architecture": "amd64"})
    assert choose_target(flagged, AT_LEAST_312, running="3.11").describe() == "python3.13 x86_64 (--python)"
    hatch = from_tables(LayerConfig, ({}, SHARED_TABLE), ({"python-version": "3.14"}, "tool.hatch.build.targets.lambda-layer"))
    assert choose_target(hatch, None).describe() == "python3.14 x86_64 (python-version from [tool.hatch.build.targets.lambda-layer])"


def test_deprecated_runtime_warning_from_its_date():
    assert deprecation_warning("3.9", date(2025, 12, 14)) is None
    assert deprecation_warning("3.9", date(2025, 12, 15)) == (
        "python3.9 is a deprecated Lambda runtime (since 2025-12-15): AWS no longer patches it and will block "
        "creating, then updating, functions on it. Target a newer runtime (supported until later: python3.10, "
        "python3.11, python3.12, python3.13, python3.14)."
    )
    assert deprecation_warning("3.12", date(2026, 12, 1)) is None


def test_messages_name_the_surface_a_value_came_from():
    config = from_tables(LayerConfig, ({"installer": "pip", "extras": ["a"]}, SHARED_TABLE))
    assert config.label("installer") == "Field `tool.lambda-layer.installer`"
    assert config.label("output") == "Field `tool.lambda-layer.output`"  # not set: the key to set
    flagged = apply_command_line(config, {"extras": ("b",), "installer": "uv"})
    assert (flagged.label("installer"), flagged.label("extras"), flagged.label("all_extras")) == (
        "--installer", "--extras", "--all-extras")
    with pytest.raises(ConfigError) as error:
        apply_command_line(config, {"installer": "conda"})
    assert str(error.value) == "--installer must be one of 'uv', 'pip', got 'conda'."
    with pytest.raises(ConfigError) as error:
        apply_command_line(config, {"extras": ("a",), "all_extras": True})
    assert str(error.value) == "You cannot specify explicit --extras while using --all-extras."
