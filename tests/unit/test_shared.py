"""The modules every step shares: Lambda runtime facts, config validation, names, credentials."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shared_core.errors import ConfigError, LayerError, user_error
from shared_core.lambda_runtime import LambdaTarget, UnsupportedTargetError
from shared_core.pins.indexes import PackageIndex, all_secrets, pip_index_env, uv_index_env
from shared_core.pipeline.lock import lock_timeout
from shared_core.settings.layer import SHARED_TABLE, LayerConfig
from shared_core.settings.tables import apply_command_line, from_tables
from shared_core.support.names import is_glob, matches, normalize_name
from shared_core.support.reporting import mask_credentials


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
    assert updated.architecture == "arm64" and updated.excluded_patterns == ("a", "b")
    assert apply_command_line(config, {}).excluded_patterns[-1] == "a" and "boto3" in apply_command_line(config, {}).excluded_patterns


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
    """The Poetry command's reporter masks what it prints, whatever reached it unmasked (the core's
    policy, which every reporter shares), then escapes it for cleo's formatter."""
    from cleo.formatters.formatter import Formatter

    from shared_core.support.reporting import PrintReporter

    reporter = PrintReporter(secrets=["p@ss:w/rd"])
    reporter.add_secrets(["", "tok3n-42"])
    assert Formatter.escape(reporter.mask("https://bob:p%40ss%3Aw%2Frd@pkgs.example/ said tok3n-42 and p@ss:w/rd <b>")) == (
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


# -- lambda_runtime: every fact, exactly ----------------------------------------------------------


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


def test_lambda_constants():
    from shared_core import lambda_runtime as facts

    assert facts.SUPPORTED_PYTHON_VERSIONS == ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
    assert facts.RUNTIME_PROVIDED == ("boto3", "botocore", "s3transfer", "urllib3")
    assert (facts.LAYER_PREFIX, facts.LAYER_PYTHON_DIR) == ("python/", "/opt/python")
    assert (facts.DIRECT_UPLOAD_LIMIT, facts.UNZIPPED_LIMIT) == (52_428_800, 262_144_000)


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
        "drop-package-tests, allow-invalid-python, publish."
    )


# -- indexes: a requirements file's source options -------------------------------------------------


@pytest.mark.parametrize("url, expected", [
    ("https://pkgs.example/simple", ("https://pkgs.example/simple", None, None)),
    ("https://bob:p%40ss%3Aword@pkgs.example:8443/simple/?x=1#top",
     ("https://pkgs.example:8443/simple/?x=1#top", "bob", "p@ss:word")),
    ("https://ci-token@pkgs.example/simple", ("https://pkgs.example/simple", "ci-token", None)),
    ("https://:only-a-password@pkgs.example/simple", ("https://pkgs.example/simple", None, "only-a-password")),
    ("https://bob:a@b@pkgs.example/simple", ("https://pkgs.example/simple", "bob", "a@b")),  # the last @ ends it
])
def test_an_index_url_with_credentials_keeps_them_apart(url, expected):
    from shared_core.pins.indexes import index_from_url

    for default in (True, False):
        index = index_from_url("extra", url, default=default)
        assert (index.name, index.url, index.username, index.password, index.default) == ("extra", *expected, default)


# -- fingerprint: the record beside the zip -------------------------------------------------------


def test_inputs_digest_ignores_key_order_and_stringifies_paths():
    from shared_core.pipeline.fingerprint import inputs_digest

    assert inputs_digest({"a": 1, "b": [2, 3]}) == inputs_digest({"b": [2, 3], "a": 1})
    assert inputs_digest({"lock": Path("poetry.lock")}) == inputs_digest({"lock": "poetry.lock"})
    assert inputs_digest({"a": 1}) != inputs_digest({"a": 2})


@pytest.mark.parametrize("text", ["[1]", '{"size": 22}', "{not json", ""])
def test_anything_but_our_record_is_no_record(tmp_path, text):
    import hashlib

    from shared_core.pipeline.fingerprint import (
        fingerprint_path,
        is_up_to_date,
        read_fingerprint,
        recorded_sha256,
        write_fingerprint,
    )

    layer = tmp_path / "layer.zip"
    layer.write_bytes(b"PK\x05\x06" + bytes(18))
    assert (read_fingerprint(layer), recorded_sha256(layer), is_up_to_date(layer, {"a": 1})) == (None, None, False)
    write_fingerprint(layer, {"a": 1})
    assert read_fingerprint(layer) == hashlib.sha256(b'{"a": 1}').hexdigest()
    assert recorded_sha256(layer) == hashlib.sha256(b"PK\x05\x06" + bytes(18)).hexdigest()
    assert is_up_to_date(layer, {"a": 1}) is True
    fingerprint_path(layer).write_text(text)
    assert (read_fingerprint(layer), recorded_sha256(layer), is_up_to_date(layer, {"a": 1})) == (None, None, False)


def test_a_snapshot_is_a_private_hashed_copy_and_refuses_a_zip_its_build_did_not_record(tmp_path, monkeypatch):
    import base64
    import hashlib
    import tempfile

    from shared_core.errors import PublishError
    from shared_core.pipeline.fingerprint import read_fingerprint, recorded_sha256, write_fingerprint
    from shared_core.publish.snapshot import take_snapshot

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    layer = tmp_path / "layer.zip"
    data = b"PK\x05\x06" + bytes(18) + b"x" * (3 << 20)  # more than one 1 MiB chunk
    layer.write_bytes(data)
    write_fingerprint(layer, {"a": 1})
    snapshot = take_snapshot(layer, recorded_sha256(layer), read_fingerprint(layer))
    assert snapshot.path.read_bytes() == data and snapshot.path.name == "layer.zip"
    assert snapshot.path.parent.parent == tmp_path / "tmp" and snapshot.path.parent.name.startswith("lambda-layer-publish-")
    assert oct(snapshot.path.parent.stat().st_mode & 0o777) == "0o700"
    assert (snapshot.source, snapshot.size, snapshot.sha256_hex, snapshot.code_sha256, snapshot.fingerprint) == (
        layer, len(data), hashlib.sha256(data).hexdigest(), base64.b64encode(hashlib.sha256(data).digest()).decode(),
        hashlib.sha256(b'{"a": 1}').hexdigest())
    snapshot.remove()
    assert list((tmp_path / "tmp").iterdir()) == []

    layer.write_bytes(data + b"edited")
    with pytest.raises(PublishError, match=r"is not the zip its build recorded"):
        take_snapshot(layer, recorded_sha256(layer), read_fingerprint(layer))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_fingerprint_is_written_atomically_and_cleans_up_after_a_failure(tmp_path):
    from shared_core.pipeline.fingerprint import fingerprint_path, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(b"PK\x05\x06" + bytes(18))
    assert fingerprint_path(layer) == tmp_path / "layer.zip.fingerprint.json"
    fingerprint_path(layer).mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(IsADirectoryError):
        write_fingerprint(layer, {"a": 1})
    assert sorted(path.name for path in tmp_path.iterdir()) == ["layer.zip", "layer.zip.fingerprint.json"]


def test_fingerprint_is_readable_by_the_team_whatever_the_umask(tmp_path):
    from shared_core.pipeline.fingerprint import fingerprint_path, inputs_digest, write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(b"PK\x05\x06" + bytes(18))
    previous = os.umask(0o077)
    try:
        write_fingerprint(layer, {"a": 1})
    finally:
        os.umask(previous)
    written = fingerprint_path(layer)
    assert written.stat().st_mode & 0o777 == 0o644
    assert json.loads(written.read_bytes()) == {
        "inputs": inputs_digest({"a": 1}),
        "sha256": "8739c76e681f900923b900c9df0ef75cf421d39cabb54650c4b9ad19b6a76d85",
        "size": 22,
    }


def test_a_failed_clean_up_of_the_fingerprint_does_not_hide_why_it_failed(tmp_path, monkeypatch):
    from shared_core.pipeline.fingerprint import write_fingerprint

    layer = tmp_path / "layer.zip"
    layer.write_bytes(b"PK\x05\x06" + bytes(18))

    def replace(source, target):
        os.unlink(source)  # gone before the clean-up runs: removing it fails
        raise PermissionError(errno.EACCES, "Permission denied", str(target))

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError) as error:
        write_fingerprint(layer, {"a": 1})
    assert error.value.filename == str(tmp_path / "layer.zip.fingerprint.json")
    assert list(tmp_path.iterdir()) == [layer]


#: A build of ``folder`` (a zip of its a.py, then the zip's fingerprint) killed by SIGKILL, so that no
#: clean-up runs, just before the rename of the file ``sys.argv[1]`` names; in a process of its own.
_KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from shared_core.pipeline.fingerprint import write_fingerprint
from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
folder = Path(sys.argv[2])
if sys.argv[1] == "zip":
    os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
write_deterministic_zip([ZipMember("python/a.py", folder / "a.py", False)], folder / "layer.zip", workers=1)
os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
write_fingerprint(folder / "layer.zip", {"a": 2})
"""


@pytest.mark.parametrize("writer", ["zip", "fingerprint"])
def test_what_a_writer_killed_mid_write_leaves_is_what_the_next_build_removes(tmp_path, writer):
    """The temporary names the writers use and the patterns ``remove_leftovers`` cleans must agree."""
    from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
    from shared_core.pipeline.fingerprint import write_fingerprint
    from shared_core.pipeline.lock import remove_leftovers

    output_dir = tmp_path / "out"
    output_dir.mkdir()
    (output_dir / "a.py").write_text("x = 1\n")
    # the previous build, complete
    write_deterministic_zip([ZipMember("python/a.py", output_dir / "a.py", False)], output_dir / "layer.zip")
    write_fingerprint(output_dir / "layer.zip", {"a": 1})
    before = {path: path.read_bytes() for path in output_dir.iterdir()}
    (output_dir / "a.py").write_text("x = 2\n")
    # the checkout (or mutmut's copy of it), so the child runs the code under test
    checkout = str(Path(__file__).resolve().parents[2])
    killed = subprocess.run([sys.executable, "-c", _KILLED_WRITER, writer, str(output_dir), checkout],
                            env={**os.environ, "TMPDIR": str(tmp_path)}, check=False)
    assert killed.returncode == -signal.SIGKILL
    left = sorted(set(output_dir.iterdir()) - set(before))
    assert len(left) == 1 and left[0].read_bytes() != b""
    assert remove_leftovers(tmp_path / "build", output_dir).paths == tuple(left)
    assert sorted(output_dir.iterdir()) == sorted(before)
    interrupted = output_dir / {"zip": "layer.zip", "fingerprint": "layer.zip.fingerprint.json"}[writer]
    assert interrupted.read_bytes() == before[interrupted]  # the previous one, whole


def test_what_a_killed_ignore_file_write_leaves_is_what_the_next_build_removes(tmp_path):
    from shared_core.pipeline.lock import remove_leftovers

    build_dir = tmp_path / "build"
    script = ("import os, signal, sys; sys.path.insert(0, sys.argv[2]); "
              "os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL); "
              "from pathlib import Path; from shared_core.pipeline.outputs import ensure_ignore_file; ensure_ignore_file(Path(sys.argv[1]))")
    killed = subprocess.run([sys.executable, "-c", script, str(build_dir), str(Path(__file__).resolve().parents[2])],
                            check=False)
    assert killed.returncode == -signal.SIGKILL
    left = sorted(build_dir.iterdir())
    assert len(left) == 1
    assert left[0].read_bytes() == b"# Created by lambda-layer-build: everything here is build output.\n*\n"
    assert remove_leftovers(build_dir, tmp_path / "out").paths == tuple(left)
    assert list(build_dir.iterdir()) == []


def test_installer_reasons_from_older_uv_output_with_colour():
    from shared_core.support.toolchain import failure_message

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


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "NaN", "inf", "-inf", "1e400", "-0.5"])
def test_lock_timeout_must_be_finite_seconds(monkeypatch, value):
    """``nan`` and ``inf`` would wait forever: nan never reaches a deadline, inf is none."""
    monkeypatch.setenv("LAMBDA_LAYER_LOCK_TIMEOUT", value)
    with pytest.raises(ConfigError) as error:
        lock_timeout()
    assert str(error.value) == f"LAMBDA_LAYER_LOCK_TIMEOUT must be a finite number of seconds (0 or more), got {value!r}."


@pytest.mark.parametrize("value, seconds", [("-0", "0.0"), ("0", "0.0"), (" 2.5 ", "2.5"), ("", "600.0")])
def test_lock_timeout_values(monkeypatch, value, seconds):
    monkeypatch.setenv("LAMBDA_LAYER_LOCK_TIMEOUT", value)
    assert repr(lock_timeout()) == seconds  # repr: -0.0 would print as "-0" in the waiting message
