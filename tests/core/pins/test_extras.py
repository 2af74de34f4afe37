"""shared_core.pins.extras: the extras a build asks for, checked against the project's."""

from __future__ import annotations

import pytest


def test_check_extras_normalises_dedupes_and_names_the_surface():

    from shared_core.errors import ConfigError
    from shared_core.pins.extras import check_extras

    assert check_extras(["Speed", "speed", "c_li"], ["speed", "c-li"]) == ("speed", "c-li")
    with pytest.raises(ConfigError) as error:
        check_extras(["turbo", "speed", "warp"], {"speed": [], "cli": []}, name="--extras")
    assert str(error.value) == (
        "--extras names extras that [project.optional-dependencies] does not define: 'turbo', 'warp' (defined: cli, speed)."
    )
