"""shared_core.settings.tables: settings from pyproject.toml's tables and the command line, each error naming its key."""

from __future__ import annotations

import pytest

from shared_core.errors import ConfigError
from shared_core.settings.layer import SHARED_TABLE, LayerConfig
from shared_core.settings.tables import apply_command_line, from_tables


@pytest.mark.parametrize("table, message", [
    ({"python-version": 3.12}, 'must be a string such as "3.12"'),
    ({"exclude-packages": "boto3"}, "must be an array of non-empty strings"),
    ({"default-excludes": "no"}, "must be a boolean"),
    ({"compression-level": 13}, "must be an integer from 0 to 12"),
    ({"installer": "conda"}, "must be one of 'uv', 'pip'"),
    ({"exclude": ["x"]}, "Unknown field `tool.lambda-layer.exclude`"),
])
def test_config_errors_name_the_key(table, message):
    with pytest.raises(ConfigError) as error:
        from_tables(LayerConfig, (table, SHARED_TABLE))
    assert message in str(error.value) and f"tool.lambda-layer.{next(iter(table))}" in str(error.value)


def test_options_override_and_exclude_adds():
    config = from_tables(LayerConfig, ({"exclude-packages": ["a"], "architecture": "x86_64"}, SHARED_TABLE))
    updated = apply_command_line(config, {"architecture": "arm64", "exclude_packages": ("b",), "default_excludes": True})
    assert updated.architecture == ("arm64",) and updated.excluded_patterns == ("a", "b")
    assert apply_command_line(config, {}).excluded_patterns[-1] == "a" and "boto3" in apply_command_line(config, {}).excluded_patterns


def test_hatchs_own_keys_are_ignored_in_hatchs_tables_only():
    from shared_core.settings.layer import HATCH_TARGET_TABLE
    from shared_core.settings.publish import HATCH_PUBLISH_TABLE, PUBLISH_TABLE, PublishSettings

    ignore = {HATCH_PUBLISH_TABLE: ("disable",)}
    settings = from_tables(PublishSettings, ({"region": "eu-west-1"}, PUBLISH_TABLE), ({"disable": True}, HATCH_PUBLISH_TABLE),
                                    ignore=ignore)
    assert settings == PublishSettings(region="eu-west-1")
    with pytest.raises(ConfigError) as error:
        from_tables(PublishSettings, ({"disable": True}, PUBLISH_TABLE), ignore=ignore)
    assert str(error.value) == (
        "Unknown field `tool.lambda-layer.publish.disable` in pyproject.toml. Known keys: layer-name, s3-bucket, "
        "s3-prefix, region, profile, description, license-info, share-with, timeout."
    )
    target = {"dependencies": ["x"], "installer": "pip"}
    config = from_tables(LayerConfig, ({}, SHARED_TABLE), (target, HATCH_TARGET_TABLE), ignore={HATCH_TARGET_TABLE: ("dependencies",)})
    assert config.installer == "pip"
    with pytest.raises(ConfigError) as error:
        from_tables(LayerConfig, (target, SHARED_TABLE), ignore={HATCH_TARGET_TABLE: ("dependencies",)})
    assert str(error.value) == (
        "Unknown field `tool.lambda-layer.dependencies` in pyproject.toml. Known keys: python-version, architecture, "
        "exclude-packages, default-excludes, output, compression-level, compile-bytecode, allow-sdist, installer, "
        "extras, all-extras, with-groups, without-groups, only-groups, all-groups, requirements, allow-oversize, "
        "drop-package-tests, cache, allow-invalid-python, report, publish, function."
    )


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
