"""What the function shares with a layer, by the names Python imports."""

from __future__ import annotations

import pytest

from shared_core.pack.function_zip import module_names, overlaps
from shared_core.pack.layer_contents import LayerContents


def test_module_names_are_import_names():
    files = ["six.py", "pkg/__init__.py", "pkg/a.py", "pkg/__pycache__/a.cpython-312.pyc", "ns/portion/__init__.py",
             "ns/loose.py", "fast.cpython-312-x86_64-linux-gnu.so", "ext.abi3.so", "win.pyd", "README.md",
             "data/table.csv", "six-1.16.0.dist-info/RECORD"]
    assert module_names(files) == {"six", "pkg", "ns.portion", "ns.loose", "fast", "ext", "win"}


def layer(*files: str) -> LayerContents:
    return LayerContents("layer.zip", frozenset(files), {}, 0)


@pytest.mark.parametrize("function, layer_files, found", [
    (["google/cloud/__init__.py"], ["google/protobuf/__init__.py"], []),  # namespace portions merge
    (["google/__init__.py"], ["google/protobuf/__init__.py"], ["module google (also in layer.zip)"]),  # shadows them
    (["six/__init__.py"], ["six.py"], ["module six (also in layer.zip)"]),
    (["six.py"], ["six/moves/__init__.py", "six/__init__.py"], ["module six (also in layer.zip)"]),
    (["app.py", "templates/index.html"], ["templates/index.html"], []),  # data, not an import
    (["requests_cache.py"], ["requests/__init__.py"], []),
    (["boto3/__init__.py"], [], ["module boto3 (also in the Lambda runtime)"]),
])
def test_overlaps_by_import_name(function, layer_files, found):
    assert overlaps(function, {}, [layer(*layer_files)]) == found
