"""shared_core.lambda_runtime: every fact of a Lambda Python runtime, exactly (glibc, tags, suffixes, markers, deprecation)."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from shared_core.lambda_runtime import LambdaTarget, UnsupportedTargetError, deprecation_warning


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
    ("py3-none", False),                                       # not a tag
    ("cp311.cp312-cp311.cp312-manylinux_2_17_aarch64", True),  # compressed tag sets
    ("cp311-cp311.cp312-manylinux_2_17_aarch64", False),
    ("cp312-cp312-manylinux_x_17_aarch64", False),
    ("cp312-cp312-manylinux2014_aarch64", True),
    ("cp312-cp312-manylinux_2_34_aarch64.manylinux_2_35_aarch64", True),
    ("cp32-abi3-manylinux_2_17_aarch64", True),
    ("py2.py3-none-any", True),
    ("cp313-cp313-manylinux_2_17_aarch64", False),
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


def test_defaults_are_the_running_python_and_x86_64():
    assert LambdaTarget.create(None, None) == LambdaTarget("%d.%d" % sys.version_info[:2], "x86_64")


@pytest.mark.parametrize("spelling, architecture", [("amd64", "x86_64"), ("x86-64", "x86_64"), ("AArch64", "arm64"),
                                                    (" arm64 ", "arm64"), ("x86_64", "x86_64")])
def test_architecture_aliases(spelling, architecture):
    assert LambdaTarget.create("3.12", spelling).architecture == architecture


@pytest.mark.parametrize("given, version", [("3.12", "3.12"), ("3.12.1", "3.12"), ("3.9.x", "3.9"), (" 3.10 ", "3.10")])
def test_python_versions(given, version):
    assert LambdaTarget.create(given, None).python_version == version


def test_unsupported_target_messages_are_exact():
    with pytest.raises(UnsupportedTargetError) as error:
        LambdaTarget.create("3", None)
    assert str(error.value) == ("`python_version` must be a Lambda Python runtime version, got '3'. "
                                "Supported versions: 3.9, 3.10, 3.11, 3.12, 3.13, 3.14.")
    with pytest.raises(UnsupportedTargetError) as error:
        LambdaTarget.create("3.12", "sparc")
    assert str(error.value) == ("`architecture` must be a Lambda architecture, got 'sparc'. "
                                "Supported: x86_64, arm64 (aliases: aarch64, amd64, x86-64).")


@pytest.mark.parametrize("filename, ok", [
    ("_speed.so", True),                                    # no suffix to check
    ("_speed.abi3.so", True),
    ("libz.1.so", True),                                    # not an extension-module suffix
    ("_speed.cpython-312-aarch64-linux-gnu.so", True),
    ("_speed.cpython-312-x86_64-linux-gnu.so", False),
    ("_speed.cpython-311-aarch64-linux-gnu.so", False),
    ("_speed.cpython-311-aarch64-linux-gnu.pyd", True),     # not an ELF extension: the header check judges it
])
def test_extension_suffixes_for_arm64_312(filename, ok):
    assert LambdaTarget.create("3.12", "arm64").extension_suffix_ok(filename) is ok


def test_marker_environment_is_lambdas():
    """The full version Lambda runs (not X.Y.0: `python_full_version >= "3.12.1"` holds there) and its kernel."""
    assert LambdaTarget.create("3.12", "arm64").marker_environment() == {
        "implementation_name": "cpython",
        "implementation_version": "3.12.11",
        "os_name": "posix",
        "platform_machine": "aarch64",
        "platform_python_implementation": "CPython",
        "platform_release": "4.14.165-102.205.amzn2.aarch64",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": "3.12.11",
        "python_version": "3.12",
        "sys_platform": "linux",
    }


def test_platform_tags_and_interpreter_tags_of_al2_x86_64():
    target = LambdaTarget.create("3.9", "x86_64")
    assert target.platform_tags == [f"manylinux_2_{minor}_x86_64" for minor in range(26, 16, -1)] + [
        "manylinux2014_x86_64", *(f"manylinux_2_{minor}_x86_64" for minor in range(16, 4, -1)),
        "manylinux2010_x86_64", "manylinux1_x86_64"]
    assert target.interpreter_tags == frozenset({
        "cp39-cp39", "cp39-none", "py39-none", *(f"cp3{minor}-abi3" for minor in range(2, 10)),
        *(f"py3{minor}-none" for minor in range(0, 10)), "py3-none", "cp3-none"})
    assert (target.runtime_name, target.cpython_tag, target.elf_machine, target.describe()) == (
        "python3.9", "cp39", 62, "python3.9 x86_64 (manylinux, glibc 2.26)")
    arm = LambdaTarget.create("3.13", "arm64")
    assert arm.platform_tags == [f"manylinux_2_{minor}_aarch64" for minor in range(34, 16, -1)] + ["manylinux2014_aarch64"]
    assert (arm.elf_machine, arm.describe()) == (183, "python3.13 arm64 (manylinux, glibc 2.34)")


def test_deprecated_runtime_warning_from_its_date():
    assert deprecation_warning("3.9", date(2025, 12, 14)) is None
    assert deprecation_warning("3.9", date(2025, 12, 15)) == (
        "python3.9 is a deprecated Lambda runtime (since 2025-12-15): AWS no longer patches it and will block "
        "creating, then updating, functions on it. Target a newer runtime (supported until later: python3.10, "
        "python3.11, python3.12, python3.13, python3.14)."
    )
    assert deprecation_warning("3.12", date(2026, 12, 1)) is None
