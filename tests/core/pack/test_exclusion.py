"""shared_core.pack.exclusion: which distributions are left out, by normalised name and glob, and what that breaks."""

from __future__ import annotations

from shared_core.install.distributions import InstalledDistribution
from shared_core.pack.exclusion import ExcludedDistribution, before_install_exclusions, plan_exclusions


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
