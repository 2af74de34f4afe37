"""shared_core.support.sizes: sizes as the reports show them."""

from __future__ import annotations

import pytest

from shared_core.support.sizes import human_size


@pytest.mark.parametrize("size, shown", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"), (1024 * 1024 - 1, "1024.0 KB"),
    (1024 * 1024, "1.0 MB"), (262_144_000, "250.0 MB"), (1024 ** 3, "1.0 GB"), (5 * 1024 ** 4, "5120.0 GB"),
])
def test_human_size(size, shown):
    assert human_size(size) == shown
