"""shared_core.pack.import_check_cache: a passing import check is reused only for exactly the same
interpreter, host, environment, modules, refused directories and files, and never when damaged."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from shared_core.pack.import_check import ImportCheck
from shared_core.pack.import_check_cache import CACHE_LAYOUT, check_key, load_check, store_check

TREE = {"pkg/__init__.py": "a" * 64, "pkg/tests/test_core.py": "b" * 64, "pkg-1.0.dist-info/RECORD": "c" * 64}
PASSED = ImportCheck(ran=True, reason=sys.executable, modules=("pkg", "requests"),
                     failing_anyway=(("requests", "ModuleNotFoundError: No module named 'urllib3'"),))


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / CACHE_LAYOUT


def key(**changes) -> str:
    args = dict(interpreter=sys.executable, modules=("pkg", "requests"), blocked=("pkg.tests",), tree=TREE)
    args.update(changes)
    return check_key(**args)


def test_the_key_is_every_input_of_the_check(tmp_path, monkeypatch):
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    same = key()
    assert key(modules=("requests", "pkg")) == same  # an order is not a difference
    other_interpreter = tmp_path / "python"
    shutil.copy2(sys.executable, other_interpreter)  # the same bytes elsewhere: another interpreter
    changed = {
        "a file's content": key(tree={**TREE, "pkg/__init__.py": "d" * 64}),
        "one more dropped file": key(tree={**TREE, "pkg/tests/conftest.py": "e" * 64}),
        "another refused directory": key(blocked=("pkg.tests", "pkg.test")),
        "another module": key(modules=("pkg",)),
        "another interpreter": key(interpreter=str(other_interpreter)),
    }
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/other")  # the check's interpreter sees it
    changed["another library path"] = key()
    assert len({same, *changed.values()}) == len(changed) + 1, changed
    monkeypatch.setenv("LLB_INDEX_TOKEN", "s3cr3t")  # not given to the check's interpreter: no difference
    monkeypatch.delenv("LD_LIBRARY_PATH")
    assert key() == same


def test_a_passing_check_is_kept_and_read_back(cache):
    store_check(key(), PASSED)
    assert load_check(key()) == PASSED
    assert load_check(key(modules=("pkg",))) is None
    entry = cache / key()[:2] / f"{key()}.json"
    assert json.loads(entry.read_text())["result"]["failing_anyway"] == [list(PASSED.failing_anyway[0])]


@pytest.mark.parametrize("check", [
    ImportCheck(ran=True, reason=sys.executable, modules=("pkg",), broken=(("pkg", "ModuleNotFoundError: x"),)),
    ImportCheck(False, "the imports did not finish within 120 s"),
], ids=["broken", "did not run"])
def test_a_check_that_broke_something_or_did_not_run_is_never_kept(cache, check):
    store_check(key(), check)
    assert not cache.exists()
    assert load_check(key()) is None


@pytest.mark.parametrize("damage", [
    lambda text: text[:-5],
    lambda text: text.replace('"pkg"', '"other"'),
    lambda text: text.replace(key(), key(modules=("pkg",))),
    lambda text: "[]",
], ids=["truncated", "result edited", "another key", "not an entry"])
def test_a_damaged_entry_is_not_believed(cache, damage):
    store_check(key(), PASSED)
    entry = cache / key()[:2] / f"{key()}.json"
    entry.write_text(damage(entry.read_text()))
    assert load_check(key()) is None


def test_an_unwritable_cache_costs_only_the_reuse(cache):
    cache.parent.mkdir(parents=True)
    cache.write_text("a file where the folder goes")
    store_check(key(), PASSED)
    assert load_check(key()) is None
