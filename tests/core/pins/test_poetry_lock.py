"""shared_core.pins.poetry_lock: the groups a build takes, as Poetry selects them."""

from __future__ import annotations

from shared_core.pins.poetry_lock import select_groups


def test_groups_selection_like_poetry():
    assert select_groups((), (), ()) == {"main"}
    assert select_groups(("dev",), ("main",), ()) == {"dev"}
    assert select_groups(("dev",), (), ("docs",)) == {"docs"}
