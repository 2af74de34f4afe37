"""shared_core.pins.uv_lock: a uv.lock that no longer matches pyproject.toml is refused."""

from __future__ import annotations

import pytest

from shared_core.errors import LockError

UV_LOCK = """\
version = 1
requires-python = ">=3.9"

[[package]]
name = "demo"
version = "1.0"
source = {{ virtual = "." }}
dependencies = [{{ name = "requests" }}]

[package.metadata]
requires-dist = [{requires}]
"""


def test_uv_lock_check_compares_recorded_and_declared_names(tmp_path):
    from shared_core.pins.uv_lock import UvLockSource

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0"\ndependencies = ["Requests>=2"]\n')
    (tmp_path / "uv.lock").write_text(UV_LOCK.format(requires='{ name = "requests", specifier = ">=2" }'))
    UvLockSource(tmp_path)
    (tmp_path / "uv.lock").write_text(UV_LOCK.format(requires='{ name = "requests" }, { name = "six" }'))
    with pytest.raises(LockError) as error:
        UvLockSource(tmp_path)
    assert str(error.value) == "pyproject.toml changed since uv.lock was last generated (six). Run `uv lock` to update it."
