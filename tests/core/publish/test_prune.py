"""Which versions a prune keeps, and why: never the latest, never one a function uses."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared_core.errors import ConfigError
from shared_core.publish.aws import LayerSpec, LayerVersionInfo
from shared_core.publish.history import summary
from shared_core.publish.prune import check_prune_options, prune_plan

ARN = "arn:aws:lambda:eu-west-1:123456789012:layer:deps"
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)


def version(number: int, created: str) -> LayerVersionInfo:
    return LayerVersionInfo(number, f"{ARN}:{number}", LayerSpec("", (), (), ""), 10, created)


VERSIONS = [version(5, "2026-03-31T11:00:00.000+0000"), version(4, "2026-03-30T12:00:00.000+0000"),
            version(3, "2026-03-01T12:00:00.000+0000"), version(2, "2026-02-01T12:00:00.000+0000"),
            version(1, "not a date")]


def test_plan_keeps_the_newest_the_used_and_the_young():
    uses = {f"{ARN}:2": ["orders:7", "billing:$LATEST"]}
    lines = [decision.line() for decision in prune_plan(VERSIONS, 2, 10, uses, "eu-west-1", NOW)]
    assert lines == [
        "keep version 5: the latest version",
        "keep version 4: one of the 2 newest (--keep 2)",
        "would delete version 3: older than the 2 newest and used by no function in eu-west-1, created 30.0 days ago",
        "keep version 2: used by function billing:$LATEST, orders:7",
        "keep version 1: its creation date ('not a date') is unreadable, within --older-than 10",
    ]
    lines = [decision.line() for decision in prune_plan(VERSIONS, 1, None, {}, "eu-west-1", NOW)]
    assert lines[0] == "keep version 5: the latest version"
    assert lines[1:] == [f"would delete version {n}: older than the 1 newest and used by no function in eu-west-1"
                         for n in (4, 3, 2, 1)]


@pytest.mark.parametrize("keep, days, message", [
    (0, None, "--keep must be at least 1 (the latest version is always kept), got 0."),
    (1, -0.5, "--older-than must be a number of days, 0 or more, got -0.5."),
    (1, float("nan"), "--older-than must be a number of days, 0 or more, got nan."),
])
def test_options(keep, days, message):
    with pytest.raises(ConfigError) as error:
        check_prune_options(keep, days)
    assert str(error.value) == message


def test_summary_of_a_description():
    record = "lambda-layer-build 0.1.0, python3.12 arm64, 3 distributions, 2.5 KB unzipped, manifest " + "a" * 64
    assert summary(f"Shared deps ({record}, inputs 0123456789abcdef)") == \
        "Shared deps: 3 distributions, 2.5 KB unzipped (lambda-layer-build 0.1.0)"
    assert summary(f"{record}, inputs {'b' * 64}") == "3 distributions, 2.5 KB unzipped (lambda-layer-build 0.1.0)"
    assert summary("lambda-layer-build 0.1.0, python3.12 arm64, inputs unknown") == "no manifest (lambda-layer-build 0.1.0)"
    assert summary("made by hand") == "made by hand"
