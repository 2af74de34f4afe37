"""shared_core.pack.size_report: Lambda's size limits at their boundaries, and the size report."""

from __future__ import annotations

import pytest

from shared_core.errors import SizeLimitError
from shared_core.pack.size_report import SizeReport, check_unzipped_size, zipped_size_warning

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


def test_size_report_lines():
    report = SizeReport(files=3, unzipped_bytes=2048, zipped_bytes=900, largest=(("pydantic-core", 1500), ("six", 548)))
    assert report.lines() == [
        "Layer size: 3 files, 2.0 KB unzipped (2,048 bytes), 900 B zipped (900 bytes)",
        "Largest distributions (unzipped):",
        "  pydantic-core     1.5 KB",
        "  six                548 B",
    ]
    assert SizeReport(0, 0, 22, ()).lines() == ["Layer size: 0 files, 0 B unzipped (0 bytes), 22 B zipped (22 bytes)"]
