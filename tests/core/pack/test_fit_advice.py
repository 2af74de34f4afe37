"""The over-limit advice: what each measure saves on this layer and whether it then fits, to the byte."""

from __future__ import annotations

import pytest

from shared_core.errors import SizeLimitError
from shared_core.pack.fit_advice import FitMeasure, advice_lines, advice_sentence, fit_measures, near_limit
from shared_core.pack.size_report import check_unzipped_size

TESTS = "`drop-package-tests = true`, --drop-package-tests"
BYTECODE = "`compile-bytecode = false`, --no-compile"


def _measures(unzipped: int = 270_000_000, **overrides):
    figures = dict(
        package_tests_bytes=9_000_000,
        bytecode_bytes=7_000_000,
        distribution_bytes=[("numpy", 50_000_000), ("pyarrow", 160_000_000), ("pandas", 40_000_000), ("tiny", 1)],
        required_by={"numpy": ("pandas",), "tiny": ("numpy", "pandas")},
    )
    figures.update(overrides)
    return fit_measures(unzipped, **figures)


def test_each_measure_priced_on_this_layer():
    assert _measures() == (
        FitMeasure("dropping package tests", TESTS, 9_000_000, 261_000_000, True),
        FitMeasure("shipping no bytecode", BYTECODE, 7_000_000, 263_000_000, False),
        FitMeasure("excluding pyarrow", "`exclude-packages`, --exclude pyarrow", 160_000_000, 110_000_000, True),
        FitMeasure("excluding numpy", "`exclude-packages`, --exclude numpy", 50_000_000, 220_000_000, True, "required by pandas"),
        FitMeasure("excluding pandas", "`exclude-packages`, --exclude pandas", 40_000_000, 230_000_000, True),
    )


def test_measures_that_save_nothing_are_not_offered_and_ties_go_by_name():
    measures = _measures(262_144_010, package_tests_bytes=0, bytecode_bytes=10,
                         distribution_bytes=[("b", 5), ("a", 5), ("c", 4), ("d", 3)], required_by={})
    assert measures == (
        FitMeasure("shipping no bytecode", BYTECODE, 10, 262_144_000, True),   # exactly the limit fits
        FitMeasure("excluding a", "`exclude-packages`, --exclude a", 5, 262_144_005, False),
        FitMeasure("excluding b", "`exclude-packages`, --exclude b", 5, 262_144_005, False),
        FitMeasure("excluding c", "`exclude-packages`, --exclude c", 4, 262_144_006, False),
    )


def test_near_limit_is_over_ninety_percent():
    assert near_limit(235_929_600) is False   # 90.0% of 262,144,000
    assert near_limit(235_929_601) is True
    assert near_limit(300_000_000) is True
    assert near_limit(95, limit=100) is True
    assert near_limit(90, limit=100) is False


def test_over_limit_error_lists_every_measure():
    with pytest.raises(SizeLimitError) as raised:
        check_unzipped_size(270_000_000, False, advice_sentence(_measures()))
    assert str(raised.value) == (
        "The layer unzips to 270,000,000 bytes, 7,856,000 over Lambda's limit of 262,144,000 bytes for a function "
        "and all its layers; Lambda would reject it. On this layer, "
        f"dropping package tests ({TESTS}) saves 9,000,000 bytes, leaving 261,000,000 (fits); "
        f"shipping no bytecode ({BYTECODE}) saves 7,000,000 bytes, leaving 263,000,000 (still over); "
        "excluding pyarrow (`exclude-packages`, --exclude pyarrow) saves 160,000,000 bytes, leaving 110,000,000 (fits); "
        "excluding numpy (`exclude-packages`, --exclude numpy) saves 50,000,000 bytes, leaving 220,000,000 "
        "(fits; required by pandas); "
        "excluding pandas (`exclude-packages`, --exclude pandas) saves 40,000,000 bytes, leaving 230,000,000 (fits). "
        "Otherwise exclude other distributions with `exclude-packages` in [tool.lambda-layer], split the layer, "
        "or set `allow-oversize = true` (--allow-oversize) to write it anyway."
    )


def test_report_lines_near_the_limit():
    measures = fit_measures(260_771_520, package_tests_bytes=0, bytecode_bytes=15_435_303,
                            distribution_bytes=[("pyarrow", 169_291_037)], required_by={})
    assert advice_lines(260_771_520, measures) == [
        "Near Lambda's unzipped limit: 260,771,520 of 262,144,000 bytes (99.5%).",
        "What each measure would save on this layer:",
        f"  shipping no bytecode ({BYTECODE}) saves 15,435,303 bytes, leaving 245,336,217 (fits)",
        "  excluding pyarrow (`exclude-packages`, --exclude pyarrow) saves 169,291,037 bytes, leaving 91,480,483 (fits)",
    ]
    assert advice_lines(95, (), limit=100) == ["Near Lambda's unzipped limit: 95 of 100 bytes (95.0%)."]
