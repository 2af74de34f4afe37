"""Step 2, pure pieces: which distributions are left out, and which files are slimmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_core.distributions import InstalledDistribution
from shared_core.errors import SizeLimitError
from shared_core.pack.exclusion import ExcludedDistribution, before_install_exclusions, plan_exclusions
from shared_core.pack.size_report import SizeReport, check_unzipped_size, human_size, zipped_size_warning
from shared_core.pack.slimming import SlimmingContext, slim_reason


def _dist(name: str, *files: str, requires: tuple = ()) -> InstalledDistribution:
    return InstalledDistribution(name, "1.0", f"{name}-1.0.dist-info", frozenset(files), tuple(requires))


DISTS = [
    _dist("boto3", "boto3/__init__.py", requires=("botocore", "jmespath")),
    _dist("PyYAML", "yaml/__init__.py", "_yaml/__init__.py"),
    _dist("pytest-cov", "pytest_cov/__init__.py"),
    _dist("app-lib", "app_lib/__init__.py", requires=("PyYAML", "boto3", "botocore")),
]


def test_plan_exclusions_by_normalised_name_and_glob():
    plan = plan_exclusions(DISTS, ["boto3", "pyyaml", "pytest-*", "numpy"], already_excluded=["botocore"])
    assert [(d.name, d.version, d.pattern) for d in plan.excluded] == [
        ("boto3", "1.0", "boto3"), ("PyYAML", "1.0", "pyyaml"), ("pytest-cov", "1.0", "pytest-*")]
    assert plan.excluded_files == frozenset({"boto3/__init__.py", "yaml/__init__.py", "_yaml/__init__.py", "pytest_cov/__init__.py"})
    assert plan.unmatched_patterns == ("numpy",)
    # runtime-provided requirements are expected; an excluded ordinary one is a broken requirement
    assert plan.runtime_dependents == (("app-lib", "boto3"), ("app-lib", "botocore"))
    assert plan.broken_requirements == (("app-lib", "PyYAML"),)


def test_pins_left_out_before_install_are_reported_with_the_pattern_that_matched():
    from shared_core.pins.pin import Pin

    pins = [Pin("Boto3", "1.35.0"), Pin("jmespath", "1.0.1")]  # jmespath: only boto3 needed it
    assert before_install_exclusions(pins, ["numpy", "boto*"]) == (
        ExcludedDistribution("Boto3", "1.35.0", "boto*", frozenset(), before_install=True),
        ExcludedDistribution("jmespath", "1.0.1", "", frozenset(), before_install=True),
    )
    assert before_install_exclusions([], ["boto3"]) == ()


def test_plan_exclusions_counts_names_excluded_before_install_as_matched():
    plan = plan_exclusions(DISTS, ["botocore", "s3transfer"], already_excluded=["botocore"])
    assert plan.excluded == () and plan.unmatched_patterns == ("s3transfer",)
    assert plan.runtime_dependents == (("boto3", "botocore"), ("app-lib", "botocore"))


def _pyc(tmp_path: Path, flags: int) -> Path:
    path = tmp_path / "mod.pyc"
    path.write_bytes(b"\x00" * 4 + flags.to_bytes(4, "little") + b"\x00" * 8)
    return path


#: A tree after exclusion: scripts of two installers, a package called bin, sources and bytecode.
_TREE = {
    "bin/normalizer", "bin/fake-cli", "bin/tool.py", "bin/__init__.py", "pkg/mod.py", "pkg/only.pyc", "pkg/mod.pyc",
    "pkg/__pycache__/mod.cpython-312.pyc", "pkg/__pycache__/gone.cpython-312.pyc", "pkg/stray.pyc",
}
_KEPT = [
    InstalledDistribution("charset-normalizer", "3.4", "charset_normalizer-3.4.dist-info", frozenset({"bin/normalizer"}), (),
                          frozenset({"bin/normalizer"})),  # uv: the script is in its RECORD
    InstalledDistribution("fake-cli", "1.0", "fake_cli-1.0.dist-info", frozenset(), (), frozenset({"bin/fake-cli"})),  # pip
    InstalledDistribution("fake-bin", "1.0", "fake_bin-1.0.dist-info", frozenset({"bin/__init__.py", "bin/tool.py"}), ()),
    InstalledDistribution("pkg", "1.0", "pkg-1.0.dist-info", frozenset({"pkg/mod.py", "pkg/only.pyc", "pkg/mod.pyc"}), ()),
]
_CONTEXT = SlimmingContext.create(_TREE, _KEPT, _KEPT)


@pytest.mark.parametrize("relpath, flags, reason", [
    ("bin/normalizer", 0, "console scripts"),
    ("bin/fake-cli", 0, "console scripts"),
    ("bin/tool.py", 0, None),                                                    # a module of a package called bin
    ("bin/__init__.py", 0, None),
    (".lock", 0, "installer leftovers"),
    ("idna-3.7.dist-info/uv_cache.json", 0, "installer leftovers"),
    ("fake_sdist_only-1.0.dist-info/uv_build.json", 0, "installer leftovers"),
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b01, None),                         # ours: unchecked hash
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b00, "stale bytecode"),             # timestamp-based
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b11, "stale bytecode"),             # checked hash
    ("pkg/__pycache__/gone.cpython-312.pyc", 0b01, "stale bytecode"),            # its source is gone
    ("pkg/mod.pyc", 0b01, "stale bytecode"),                                     # legacy placement, beside its source
    ("pkg/only.pyc", 0b00, None),                                                # sourceless, its RECORD lists it
    ("pkg/stray.pyc", 0b00, "stale bytecode"),                                   # sourceless, but nobody ships it
    ("pkg/only.pyo", 0b00, "stale bytecode"),
    ("pkg/__pycache__/notes.txt", 0, "stale bytecode"),
    ("pkg/_speed.cpython-312-x86_64-linux-gnu.so", 0, None),
    ("pkg-1.0.dist-info/RECORD", 0, None),
])
def test_slim_reason(tmp_path, relpath, flags, reason):
    assert slim_reason(relpath, _pyc(tmp_path, flags), _CONTEXT) == reason


def test_unowned_files_in_bin_are_not_scripts_by_their_path():
    context = SlimmingContext.create({"bin/readme.txt"}, [], [])
    assert slim_reason("bin/readme.txt", Path("unused"), context) is None


# -- size limits and the report ---------------------------------------------------------------------

OVERSIZE = ("The layer unzips to 262,144,001 bytes, 1 over Lambda's limit of 262,144,000 bytes for a function and all its "
            "layers; Lambda would reject it. Exclude large distributions with `exclude-packages` in [tool.lambda-layer], "
            "split the layer, or set `allow-oversize = true` (--allow-oversize) to write it anyway.")


def test_unzipped_limit_boundary():
    check_unzipped_size(262_144_000, allow_oversize=False)
    check_unzipped_size(262_144_000, False, "advice is only given when over")
    check_unzipped_size(262_144_001, allow_oversize=True)
    check_unzipped_size(300_000_000, True, "advice is only given when over")
    with pytest.raises(SizeLimitError) as error:
        check_unzipped_size(262_144_001, allow_oversize=False)
    assert str(error.value) == OVERSIZE


def test_direct_upload_warning_boundary():
    assert zipped_size_warning(52_428_800) is None
    assert zipped_size_warning(52_428_801) == (
        "the zip is 50.0 MB, over the 50 MB limit for direct upload to Lambda; upload it to S3 and publish the layer from there."
    )


@pytest.mark.parametrize("size, shown", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"), (1024 * 1024 - 1, "1024.0 KB"),
    (1024 * 1024, "1.0 MB"), (262_144_000, "250.0 MB"), (1024 ** 3, "1.0 GB"), (5 * 1024 ** 4, "5120.0 GB"),
])
def test_human_size(size, shown):
    assert human_size(size) == shown


def test_size_report_lines():
    report = SizeReport(files=3, unzipped_bytes=2048, zipped_bytes=900, largest=(("pydantic-core", 1500), ("six", 548)))
    assert report.lines() == [
        "Layer size: 3 files, 2.0 KB unzipped (2,048 bytes), 900 B zipped (900 bytes)",
        "Largest distributions (unzipped):",
        "  pydantic-core     1.5 KB",
        "  six                548 B",
    ]
    assert SizeReport(0, 0, 22, ()).lines() == ["Layer size: 0 files, 0 B unzipped (0 bytes), 22 B zipped (22 bytes)"]
