"""The modules every step shares: Lambda runtime facts, config validation, names, credentials."""

from __future__ import annotations

import pytest

from shared_core.config import SHARED_TABLE, ConfigError, apply_options, config_from_tables
from shared_core.indexes import PackageIndex, all_secrets, mask_credentials, pip_index_env, uv_index_env
from shared_core.lambda_runtime import LambdaTarget, UnsupportedTargetError
from shared_core.names import is_glob, matches, normalize_name


@pytest.mark.parametrize("version, arch, glibc, uv_platform", [
    ("3.9", "x86_64", (2, 26), "x86_64-manylinux_2_17"),
    ("3.11", "arm64", (2, 26), "aarch64-manylinux_2_17"),
    ("3.12", "arm64", (2, 34), "aarch64-manylinux_2_34"),
    ("3.14", "x86_64", (2, 34), "x86_64-manylinux_2_34"),
])
def test_runtime_glibc_and_uv_platform(version, arch, glibc, uv_platform):
    target = LambdaTarget.create(version, arch)
    assert target.glibc == glibc and target.uv_platform == uv_platform


@pytest.mark.parametrize("tag, ok", [
    ("cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64", True),
    ("cp312-cp312-manylinux_2_34_aarch64", True),
    ("cp312-cp312-manylinux_2_35_aarch64", False),   # newer glibc than AL2023
    ("cp312-cp312-manylinux_2_17_x86_64", False),    # wrong machine
    ("cp311-cp311-manylinux_2_17_aarch64", False),   # wrong Python
    ("cp39-abi3-manylinux_2_28_aarch64", True),
    ("py3-none-any", True),
    ("cp312-cp312-musllinux_1_2_aarch64", False),
    ("cp312-cp312-macosx_11_0_arm64", False),
])
def test_wheel_tags_for_arm64_312(tag, ok):
    assert LambdaTarget.create("3.12", "arm64").accepts_wheel_tag(tag) is ok


def test_al2_refuses_manylinux_2_28():
    assert not LambdaTarget.create("3.11", "x86_64").accepts_wheel_tag("cp311-cp311-manylinux_2_28_x86_64")


@pytest.mark.parametrize("version, arch, words", [("3.8", "x86_64", "3.9, 3.10"), ("3.12", "sparc", "x86_64, arm64"), ("x", None, "3.14")])
def test_unsupported_targets_list_the_supported(version, arch, words):
    with pytest.raises(UnsupportedTargetError) as error:
        LambdaTarget.create(version, arch)
    assert words in str(error.value)


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
        config_from_tables((table, SHARED_TABLE))
    assert message in str(error.value) and f"tool.lambda-layer.{next(iter(table))}" in str(error.value)


def test_options_override_and_exclude_adds():
    config = config_from_tables(({"exclude-packages": ["a"], "architecture": "x86_64"}, SHARED_TABLE))
    updated = apply_options(config, architecture="arm64", exclude=("b",), no_default_excludes=True)
    assert updated.architecture == "arm64" and updated.excluded_patterns == ("a", "b")
    assert apply_options(config).excluded_patterns[-1] == "a" and "boto3" in apply_options(config).excluded_patterns


@pytest.mark.parametrize("name, pattern, ok", [
    ("PyYAML", "pyyaml", True), ("python_dateutil", "python-dateutil", True), ("pipe", "pip", False),
    ("pytest-cov", "pytest-*", True), ("pytest", "pytest-*", False), ("Zope.Interface", "zope-interface", True),
])
def test_name_matching(name, pattern, ok):
    assert matches(name, pattern) is ok


def test_credentials_are_masked_and_only_in_env():
    index = PackageIndex("corp", "https://pkgs.example/simple/", "bob", "p@ss:w/rd", default=True)
    assert uv_index_env([index]) == {"UV_DEFAULT_INDEX": "https://bob:p%40ss%3Aw%2Frd@pkgs.example/simple/"}
    assert pip_index_env([index]) == {"PIP_INDEX_URL": "https://bob:p%40ss%3Aw%2Frd@pkgs.example/simple/"}
    extra = PackageIndex("extra", "https://other.example/simple/", "ann", "s3cret")
    assert uv_index_env([extra, index]) == {
        "UV_DEFAULT_INDEX": "https://bob:p%40ss%3Aw%2Frd@pkgs.example/simple/",
        "UV_INDEX": "https://ann:s3cret@other.example/simple/",
    }
    assert pip_index_env([extra]) == {"PIP_EXTRA_INDEX_URL": "https://ann:s3cret@other.example/simple/"}
    text = "error fetching https://bob:p%40ss%3Aw%2Frd@pkgs.example/simple/ with p@ss:w/rd, or git+ssh://git@host/x"
    assert mask_credentials(text, all_secrets([index, extra])) == (
        "error fetching https://bob:****@pkgs.example/simple/ with ****, or git+ssh://git@host/x"
    )
    assert mask_credentials("token ab and s3cret", ["ab", "s3cret"]) == "token ab and ****"  # too short to mask
    assert repr(index) == "PackageIndex(name='corp', url='https://pkgs.example/simple/', default=True)"


def test_poetry_reporter_masks_every_message():
    """The Poetry command's reporter masks what it prints, whatever reached it unmasked."""
    from poetry_lambda_layer.command import IOReporter

    reporter = IOReporter(None, ["p@ss:w/rd"])
    reporter.add_secrets(["", "tok3n-42"])
    assert reporter.text("https://bob:p%40ss%3Aw%2Frd@pkgs.example/ said tok3n-42 and p@ss:w/rd <b>") == (
        "https://bob:****@pkgs.example/ said **** and **** \\<b>"
    )


@pytest.mark.parametrize("name, normalized", [
    ("PyYAML", "pyyaml"), ("python_dateutil", "python-dateutil"), ("Zope..Interface", "zope-interface"),
    ("a-_.b", "a-b"), ("six", "six"),
])
def test_normalize_name(name, normalized):
    assert normalize_name(name) == normalized


@pytest.mark.parametrize("pattern, glob", [("pytest-*", True), ("py?aml", True), ("[ab]cd", True), ("pytest", False),
                                           ("Xylophone", False)])
def test_is_glob(pattern, glob):
    assert is_glob(pattern) is glob


def test_url_with_credentials_in_every_shape():
    url = "https://pkgs.example/simple/"
    assert PackageIndex("a", url).url_with_credentials() == url
    assert PackageIndex("a", url, "tok/en").url_with_credentials() == "https://tok%2Fen@pkgs.example/simple/"
    assert PackageIndex("a", url, None, "pw").url_with_credentials() == "https://:pw@pkgs.example/simple/"
    # userinfo already in the configured URL is replaced, whatever it holds
    assert PackageIndex("a", "https://old@pkgs.example/simple/", "bob", "pw").url_with_credentials() == (
        "https://bob:pw@pkgs.example/simple/")
    assert PackageIndex("a", "https://me@corp@pkgs.example/simple/", "bob", "pw").url_with_credentials() == (
        "https://bob:pw@pkgs.example/simple/")


def test_several_default_indexes_keep_their_order():
    first = PackageIndex("one", "https://one.example/simple/", default=True)
    second = PackageIndex("two", "https://two.example/simple/", default=True)
    extra = PackageIndex("three", "https://three.example/simple/")
    assert uv_index_env([first, second, extra]) == {
        "UV_DEFAULT_INDEX": "https://one.example/simple/",
        "UV_INDEX": "https://two.example/simple/ https://three.example/simple/",
    }


def test_secrets_are_masked_raw_and_percent_encoded_from_three_characters():
    assert mask_credentials("password=p%40ss%2Fw and p@ss/w", ["p@ss/w"]) == "password=**** and ****"
    assert mask_credentials("abc abcd ab", ["abc", "ab"]) == "**** ****d ab"
