"""The dependency closure check on hand-made distributions: markers, versions, extras, exclusions."""

from __future__ import annotations

from typing import Sequence, Tuple

import pytest

from shared_core.install.distributions import InstalledDistribution
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pack.closure import SHOWN, UnmetRequirement, incomplete_layer_error, unmet_requirements

X86_312 = LambdaTarget.create("3.12", "x86_64")


def _dist(name: str, version: str = "1.0", *requires: str) -> InstalledDistribution:
    return InstalledDistribution(name, version, f"{name}-{version}.dist-info", frozenset(), tuple(requires))


def _described(layer: Sequence[InstalledDistribution], target: LambdaTarget = X86_312, **kw: object) -> Tuple[str, ...]:
    return tuple(item.describe() for item in unmet_requirements(layer, target, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("requires, others, expected", [
    # markers for the target (python3.12 x86_64 Linux), not for this machine
    (['b; sys_platform == "win32"', 'c; platform_machine == "aarch64"', 'd; python_version < "3.12"',
      'e; implementation_name == "pypy"'], (), None),
    (['b; sys_platform == "linux" and python_version >= "3.12"'], (), "a 1.0 requires b, which is not in the layer"),
    # versions: the specifier decides, pre-releases count (the pins chose them)
    (["b>=2"], (("b", "1.0"),), "a 1.0 requires b>=2, but the layer has b 1.0"),
    (["b>=1"], (("b", "2.0rc1"),), None),
    (["B_Thing>=1,<2"], (("b-thing", "1.5"),), None),                          # names are normalised
    (["b!=1.0"], (("b", "1.0"),), "a 1.0 requires b!=1.0, but the layer has b 1.0"),
    (["b @ https://example.invalid/b-1.0.tar.gz"], (("b", "1.0"),), None),     # a URL: present is enough
    (["b @ https://example.invalid/b-1.0.tar.gz"], (), "a 1.0 requires b @ https://example.invalid/b-1.0.tar.gz, which is "
                                                       "not in the layer"),
    (["not a requirement ((", "b"], (("b", "1.0"),), None),                    # a line that is not PEP 508 is skipped
    (["b"], (("b", "weird-version"),), None),
    (["b>=1"], (("b", "weird-version"),), "a 1.0 requires b>=1, but the layer has b weird-version"),
    # extras: only when asked for, transitively, normalised
    (['b; extra == "speed"'], (), None),
    (["b[Fast_Path]"], (("b", "1.0", 'c; extra == "fast-path"'),), "b 1.0 requires c (for its extra 'fast-path'), which is not "
                                                                    "in the layer"),
    (["b[x]"], (("b", "1.0", 'c[y]; extra == "x"'), ("c", "1.0", 'd>=2; extra == "y"'), ("d", "1.0")),
     "c 1.0 requires d>=2 (for its extra 'y'), but the layer has d 1.0"),
    (["b[x]"], (("b", "1.0", 'c; python_version < "3.12" and extra == "x"'),), None),
    # the runtime provides boto3, botocore, s3transfer, urllib3 when the layer does not carry them
    (["boto3>=99", "urllib3<1"], (), None),
    (["urllib3<1"], (("urllib3", "2.2.3"),), "a 1.0 requires urllib3<1, but the layer has urllib3 2.2.3"),
])
def test_unmet_requirements(requires, others, expected):
    layer = [_dist("a", "1.0", *requires)] + [_dist(name, version, *more) for name, version, *more in others]
    assert _described(layer) == (() if expected is None else (expected,))


def test_the_marker_environment_is_the_targets():
    """arm64 and python3.11 are the target's, whatever runs the build."""
    layer = [_dist("a", "1.0", 'b; platform_machine == "aarch64"', 'c; python_version < "3.12"')]
    assert _described(layer, LambdaTarget.create("3.11", "arm64")) == (
        "a 1.0 requires b, which is not in the layer", "a 1.0 requires c, which is not in the layer")


def test_requested_extras_and_what_is_left_out_on_purpose():
    layer = [_dist("a", "1.0", 'b; extra == "speed"', "c", "pytest-cov", "d")]
    assert _described(layer, requested_extras={"A": frozenset({"Speed"})}, excluded=("c",), patterns=("pytest-*", "D")) == (
        "a 1.0 requires b (for its extra 'speed'), which is not in the layer",)
    assert _described(layer, requested_extras={"not-installed": frozenset({"x"})}, excluded=("c", "d"),
                      patterns=("pytest-*",)) == ()


def test_each_unmet_requirement_once_sorted_by_distribution():
    layer = [_dist("z", "1.0", "m", 'm; extra == "x"'), _dist("a", "2.0", "n>=1", "m"), _dist("n", "0.5")]
    assert unmet_requirements(layer, X86_312, requested_extras={"z": frozenset({"x"})}) == [
        UnmetRequirement("a 2.0", "m", "m"),
        UnmetRequirement("a 2.0", "n>=1", "n", "0.5"),
        UnmetRequirement("z 1.0", "m", "m"),
    ]


def _error(count: int, origin: str) -> str:
    unmet = [UnmetRequirement("a 1.0", f"b{index:02d}", f"b{index:02d}") for index in range(count)]
    return str(incomplete_layer_error(unmet, X86_312, origin))


@pytest.mark.parametrize("count, more", [(SHOWN, None), (SHOWN + 1, "; and 1 more"), (SHOWN + 3, "; and 3 more")])
def test_the_message_names_the_first_ones_then_counts(count, more):
    shown = "; ".join(f"a 1.0 requires b{index:02d}, which is not in the layer" for index in range(SHOWN))
    assert _error(count, "poetry.lock") == (
        f"The layer would not work on python3.12 x86_64 (manylinux, glibc 2.34): {shown}{more or ''}. The pins "
        "came from poetry.lock: add what is missing there, at versions these requirements accept (a lock, or `uv pip "
        "compile` output, lists every dependency; a hand-written file may list only the top level), or leave a "
        "distribution out on purpose with `exclude-packages` (--exclude). Nothing was written; the previous layer zip "
        "is unchanged."
    )
