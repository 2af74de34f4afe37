"""shared_core.pins.graph: the dependency graph, and the pins left out with an excluded distribution."""

from __future__ import annotations

from shared_core.pins.graph import DependencyGraph, orphans
from shared_core.pins.model import Pin


def test_orphans_only_behind_excluded_distributions():
    graph = DependencyGraph.build(
        roots=["app-lib", "pandas", "Python_Dateutil", "boto3"],
        edges={"pandas": ["numpy", "python-dateutil"], "app-lib": ["six"], "boto3": ["jmespath", "python-dateutil"],
               "python-dateutil": ["six"]},
    )
    pinned = ["app-lib", "boto3", "jmespath", "numpy", "pandas", "python-dateutil", "six", "not-in-graph"]
    assert orphans(pinned, ["pandas"], graph) == ["numpy"]             # dateutil is direct: it stays
    assert orphans(pinned, ["boto3"], graph) == ["jmespath"]
    assert orphans(pinned, ["pandas", "python-dateutil"], graph) == ["numpy"]   # six: app-lib needs it
    assert orphans(pinned, ["app-lib", "python-dateutil"], graph) == ["six"]
    assert orphans(pinned, ["pandas"], None) == []                     # no graph: nothing is pruned


def test_select_pins_drops_excluded_then_their_orphans():
    from shared_core.pins.graph import select_pins

    pins = [Pin("boto3", "1"), Pin("jmespath", "1"), Pin("requests", "2"), Pin("six", "1")]
    graph = DependencyGraph.build(["boto3", "requests"], {"boto3": ["jmespath", "six"], "requests": ["six"]})
    selection = select_pins(pins, ["boto*"], graph)
    assert [pin.name for pin in selection.pins] == ["requests", "six"]
    assert selection.excluded == ("boto3",) and selection.orphans == ("jmespath",)
    assert selection.left_out == ("boto3", "jmespath")
