"""shared_core.pipeline.target: choosing the target Python, the order of its sources, and where it came from."""

from __future__ import annotations

from datetime import date

import pytest

from shared_core.errors import ConfigError
from shared_core.pipeline.requires_python import RequiresPython
from shared_core.pipeline.target import choose_python, choose_target
from shared_core.settings.layer import SHARED_TABLE, LayerConfig
from shared_core.settings.tables import apply_command_line, from_tables

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
