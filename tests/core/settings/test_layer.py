"""shared_core.settings.layer and .publish: list-valued targets, {target}, values checked however made."""

from __future__ import annotations

import pytest

from shared_core.errors import ConfigError, UnsupportedTargetError
from shared_core.settings.layer import SHARED_TABLE, LayerConfig
from shared_core.settings.publish import PUBLISH_TABLE, PublishSettings
from shared_core.settings.tables import apply_command_line, from_tables


def test_python_version_and_architecture_take_one_value_or_a_list():
    one = from_tables(LayerConfig, ({"python-version": "3.12", "architecture": "aarch64"}, SHARED_TABLE))
    assert (one.python_version, one.architecture) == (("3.12",), ("arm64",))
    many = from_tables(LayerConfig, ({"python-version": ["3.13", "3.12", "3.13"], "architecture": ["x86_64", "arm64"]},
                                     SHARED_TABLE))
    assert (many.python_version, many.architecture) == (("3.13", "3.12"), ("x86_64", "arm64"))
    given = apply_command_line(LayerConfig(), {"python_version": ["3.12,3.13", "3.14"], "architecture": ["amd64"]})
    assert (given.python_version, given.architecture) == (("3.12", "3.13", "3.14"), ("x86_64",))
    with pytest.raises(ConfigError, match=r"^Field `tool.lambda-layer.python-version` must name at least one value, got an "
                                          r"empty list\.$"):
        from_tables(LayerConfig, ({"python-version": []}, SHARED_TABLE))
    with pytest.raises(UnsupportedTargetError, match=r"^Field `tool.lambda-layer.architecture` must be a Lambda "
                                                     r"architecture, got 'sparc'\."):
        from_tables(LayerConfig, ({"architecture": ["arm64", "sparc"]}, SHARED_TABLE))


def test_settings_made_in_python_are_checked_and_normalised_too():
    config = LayerConfig(python_version="3.12", architecture="aarch64")
    assert (config.python_version, config.architecture) == (("3.12",), ("arm64",))
    with pytest.raises(ConfigError, match=r"^LayerConfig\(compression_level=\) must be an integer from 0 to 12, got 13\.$"):
        LayerConfig(compression_level=13)


@pytest.mark.parametrize("name, error", [
    ("deps-{target}", None),
    ("{target}", None),
    ("x" * 127 + "-{target}", None),  # 127 + 1 + 12 = 140, Lambda's limit
    ("x" * 128 + "-{target}", r"must be at most 140 characters \(Lambda's limit\) with \{target\} filled in "
                              r"\(py314-x86_64\), got 141\.$"),
    ("deps-{target", r"underscores \(and \{target\} for each target's name\), got 'deps-\{target'\.$"),
    ("deps-{python}", r"underscores \(and \{target\} for each target's name\), got 'deps-\{python\}'\.$"),
    ("deps/x", r"letters, digits, hyphens or underscores, got 'deps/x'\.$"),
])
def test_layer_name_may_hold_target(name, error):
    table = ({"layer-name": name}, PUBLISH_TABLE)
    if error is None:
        assert from_tables(PublishSettings, table).layer_name == name
    else:
        with pytest.raises(ConfigError, match=error):
            from_tables(PublishSettings, table)
