"""The modules every step shares: Lambda runtime facts, config validation, names, credentials."""

from __future__ import annotations

import errno

import pytest

from shared_core.build_lock import lock_timeout
from shared_core.config import SHARED_TABLE, ConfigError, apply_options, config_from_tables
from shared_core.errors import LayerError, user_error
from shared_core.indexes import PackageIndex, all_secrets, mask_credentials, pip_index_env, uv_index_env
from shared_core.lambda_runtime import LambdaTarget, UnsupportedTargetError
from shared_core.names import matches


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
    env = uv_index_env([index])
    assert "p%40ss%3Aw%2Frd" in env["UV_DEFAULT_INDEX"] and pip_index_env([index])["PIP_INDEX_URL"] == env["UV_DEFAULT_INDEX"]
    text = f"error fetching {env['UV_DEFAULT_INDEX']} with p@ss:w/rd"
    masked = mask_credentials(text, all_secrets([index]))
    assert "p@ss" not in masked and "p%40ss" not in masked and "bob:****@pkgs.example" in masked
    assert "p@ss" not in repr(index) and "bob" not in repr(index)


def test_installer_reasons_from_older_uv_output_with_colour():
    from shared_core.tools import failure_message

    # uv before 0.9 on a terminal: coloured, "Caused by:" chain, an index URL with credentials
    output = (
        "Resolved 3 packages in 12ms\n"
        "\x1b[1m\x1b[31merror\x1b[39m\x1b[0m: Failed to prepare distributions\n"
        "  \x1b[31mCaused by\x1b[39m: Failed to fetch wheel: idna==3.7\n"
        "  \x1b[31mCaused by\x1b[39m: HTTP status client error (401 Unauthorized) for url "
        "(https://bob:hunter22@pkgs.example/idna-3.7-py3-none-any.whl)\n"
    )
    assert failure_message("uv pip install", 2, output, ("hunter22",)) == (
        "uv pip install failed for idna==3.7 (exit 2):\n"
        "  error: Failed to prepare distributions\n"
        "    Caused by: Failed to fetch wheel: idna==3.7\n"
        "    Caused by: HTTP status client error (401 Unauthorized) for url (https://bob:****@pkgs.example/idna-3.7-py3-none-any.whl)\n"
        "With -v, the whole output of uv pip install is shown."
    )


@pytest.mark.parametrize("error, message", [
    (OSError(errno.EACCES, "Permission denied", "/p/build"),
     "Permission denied: /p/build. Give this user access to it and its folder (the project's build/ folder and the "
     "output's folder must be writable), or point `output` (--output) at a writable place."),
    (OSError(errno.EROFS, "Read-only file system", "/p/build"),
     "Read-only file system: /p/build. That file system is read-only: build from a writable copy of the project, "
     "or point `output` (--output) elsewhere."),
    (OSError(errno.ENOSPC, "No space left on device"),
     "No space left on device: a file of the build. Free space on that disk or raise the file size limit (or point "
     "`output` / --output at another disk) and build again; a zip that could not be written leaves the previous "
     "one as it was."),
    (OSError(errno.EISDIR, "Is a directory", "/p/pyproject.toml"),
     "Is a directory: /p/pyproject.toml. A directory is in the way of a file the build reads or writes: remove or "
     "rename it."),
    (OSError(errno.ELOOP, "Too many levels of symbolic links", "/p/a", None, "/p/b"),
     "Too many levels of symbolic links: /p/a -> /p/b. Check that path and build again."),
])
def test_file_system_errors_become_one_paragraph(error, message):
    translated = user_error(error)
    assert type(translated) is LayerError and str(translated) == message


def test_a_bug_is_not_translated():
    assert user_error(KeyError("version")) is None
    original = ConfigError("already one paragraph")
    assert user_error(original) is original


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_lock_timeout_must_be_seconds(monkeypatch, value):
    monkeypatch.setenv("LAMBDA_LAYER_LOCK_TIMEOUT", value)
    with pytest.raises(ConfigError) as error:
        lock_timeout()
    assert str(error.value) == f"LAMBDA_LAYER_LOCK_TIMEOUT must be a number of seconds (0 or more), got {value!r}."
