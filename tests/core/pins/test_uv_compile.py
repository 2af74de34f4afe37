"""shared_core.pins.uv_compile: the dependency graph from `uv pip compile`'s annotations."""

from __future__ import annotations


def test_via_graph_from_uv_pip_compile_annotations():
    from shared_core.pins.uv_compile import via_graph

    compiled = (
        "certifi==2024.8.30 \\\n    --hash=sha256:aa\n    # via requests\n"
        "charset-normalizer==3.4.0\n    # via requests\n"
        "requests==2.32.3\n    # via -r -\n"
        "six==1.16.0\n    # via\n    #   python-dateutil\n    #   requests\n"
    )
    graph = via_graph(compiled, ["requests>=2", "python-dateutil"])
    assert graph.roots == frozenset({"requests", "python-dateutil"})
    assert graph.edges == {"requests": frozenset({"certifi", "charset-normalizer", "six"}), "python-dateutil": frozenset({"six"})}
