"""Step 2, pure pieces: which distributions are left out, and which files are slimmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_core.errors import SizeLimitError
from shared_core.install.distributions import InstalledDistribution
from shared_core.pack.exclusion import ExcludedDistribution, before_install_exclusions, plan_exclusions
from shared_core.pack.size_report import SizeReport, check_unzipped_size, zipped_size_warning
from shared_core.pack.slimming import SlimmingContext, slim_reason
from shared_core.support.sizes import human_size


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


def test_a_file_two_distributions_own_goes_only_with_both():
    """opencv-python and opencv-contrib-python both own cv2/: excluding one keeps what the other needs."""
    main = _dist("opencv-python", "cv2/__init__.py", "cv2/core.py", "cv2/only_main.py", "opencv_python-1.0.dist-info/RECORD")
    contrib = _dist("opencv-contrib-python", "cv2/__init__.py", "cv2/core.py", "cv2/contrib.py")
    assert plan_exclusions([main, contrib], ["opencv-python"]).excluded_files == frozenset(
        {"cv2/only_main.py", "opencv_python-1.0.dist-info/RECORD"})
    assert plan_exclusions([main, contrib], ["opencv-*"]).excluded_files == main.files | contrib.files
    assert plan_exclusions([main, contrib], []).excluded_files == frozenset()


def test_pins_left_out_before_install_are_reported_with_the_pattern_that_matched():
    from shared_core.pins.model import Pin

    # the selection carries the pattern that matched each pin; jmespath: only boto3 needed it
    left_out = [(Pin("Boto3", "1.35.0"), "boto*"), (Pin("jmespath", "1.0.1"), "")]
    assert before_install_exclusions(left_out) == (
        ExcludedDistribution("Boto3", "1.35.0", "boto*", frozenset(), before_install=True),
        ExcludedDistribution("jmespath", "1.0.1", "", frozenset(), before_install=True),
    )
    assert before_install_exclusions([]) == ()


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


# -- what a distribution's dist-info says: scripts and requirements ---------------------------------


def _dist_info(root: Path, name: str, record: str, entry_points: str = "", requires: str = "") -> Path:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{requires}")
    (info / "RECORD").write_text(record)
    if entry_points:
        (info / "entry_points.txt").write_text(entry_points)
    return info


@pytest.mark.parametrize("record, entry_points, scripts", [
    # uv --target records scripts inside the tree
    ("bin/tool,sha256=x,1\nbin/data-tool,sha256=x,1\ncli/__init__.py,sha256=x,1\n", "", {"bin/tool", "bin/data-tool"}),
    # pip --target records them outside it (its scheme's site-packages is two levels below)
    ("../../bin/tool,sha256=x,1\n../../bin/__pycache__/x.cpython-311.pyc,,\ncli/__init__.py,,\n", "", {"bin/tool"}),
    # declared entry points count even without a RECORD row; names keep their case and may hold ':' or '.'
    ("cli/__init__.py,,\n", "[console_scripts]\nTool = cli:main\nrun.me = cli:run\n[gui_scripts]\nwin:dow = cli:gui\n"
     "[other.group]\nnot-a-script = cli:x\n", {"bin/Tool", "bin/run.me", "bin/win:dow"}),
    ("cli/__init__.py,,\n", "this is not [an ini file\n", set()),
    # a package called bin: its modules are not scripts, its entry points still are
    ("bin/__init__.py,,\nbin/tool.py,,\n", "[console_scripts]\nbin-tool = bin.tool:main\n", {"bin/bin-tool"}),
])
def test_a_distributions_scripts(tmp_path, record, entry_points, scripts):
    from shared_core.install.distributions import read_distribution

    dist = read_distribution(tmp_path, _dist_info(tmp_path, "cli", record, entry_points))
    assert dist.scripts == frozenset(scripts)


def test_requires_keeps_the_whole_requirement_and_names_skip_extras(tmp_path):
    from shared_core.install.distributions import read_distribution

    requires = ('Requires-Dist: b>=2; python_version < "3.12"\nRequires-Dist: c[x] ; extra == "speed"\n'
                "Requires-Dist: A_Thing\n")
    dist = read_distribution(tmp_path, _dist_info(tmp_path, "pkg", "pkg/__init__.py,,\n", requires=requires))
    assert dist.requires == ('b>=2; python_version < "3.12"', 'c[x] ; extra == "speed"', "A_Thing")
    assert dist.requirement_names == ("A_Thing", "b")
