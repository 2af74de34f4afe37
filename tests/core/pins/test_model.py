"""shared_core.pins.model: hashes for every pin or for none."""

from __future__ import annotations

import pytest

from shared_core.errors import LockError
from shared_core.pins.model import Pin, check_hash_rule


def test_hash_rule_names_the_pins_without_hashes():
    check_hash_rule([Pin("a", "1", ("sha256:aa",)), Pin("b", "2", ("sha256:bb",))], "poetry.lock")
    check_hash_rule([Pin("a", "1"), Pin("b", "2")], "requirements.txt")
    with pytest.raises(LockError) as error:
        check_hash_rule([Pin("a", "1", ("sha256:aa",)), Pin("b", "2"), Pin("c", "3")], "poetry.lock")
    assert str(error.value).startswith("poetry.lock gives hashes for some pins but not for: b==2, c==3. ")
