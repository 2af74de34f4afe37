"""Step 1a, pure pieces: groups, requirement text, the dependency graph and pruning."""

from __future__ import annotations

import pytest

from shared_core.errors import LockError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.graph import DependencyGraph, orphans
from shared_core.pins.indexes import IndexSettings, PackageIndex, pip_index_env, uv_index_args, uv_index_env
from shared_core.pins.model import Pin, check_hash_rule
from shared_core.pins.poetry_lock import select_groups
from shared_core.pins.requirements_text import exact_pins, parse_requirements_text, requirements_options


def test_groups_selection_like_poetry():
    assert select_groups((), (), ()) == {"main"}
    assert select_groups(("dev",), ("main",), ()) == {"dev"}
    assert select_groups(("dev",), (), ("docs",)) == {"docs"}


def test_requirements_parsing_hashes_markers_continuations():
    text = "a==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\nb==2.0 ; sys_platform == 'win32'\n# c\n--index-url https://x\n"
    lines = parse_requirements_text(text, origin="t")
    assert [(l.requirement, l.hashes, l.marker) for l in lines] == [
        ("a==1.0", ("sha256:aa", "sha256:bb"), None), ("b==2.0", (), "sys_platform == 'win32'")]
    pins = exact_pins(lines, LambdaTarget.create("3.12", "x86_64"), origin="t")
    assert [(p.name, p.version) for p in pins] == [("a", "1.0")]
    assert exact_pins(parse_requirements_text("a>=1\n", origin="t"), LambdaTarget.create("3.12", None), origin="t") is None


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


def test_check_extras_normalises_dedupes_and_names_the_surface():

    from shared_core.errors import ConfigError
    from shared_core.pins.extras import check_extras

    assert check_extras(["Speed", "speed", "c_li"], ["speed", "c-li"]) == ("speed", "c-li")
    with pytest.raises(ConfigError) as error:
        check_extras(["turbo", "speed", "warp"], {"speed": [], "cli": []}, name="--extras")
    assert str(error.value) == (
        "--extras names extras that [project.optional-dependencies] does not define: 'turbo', 'warp' (defined: cli, speed)."
    )


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


POETRY_PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["requests>=2"]

[project.optional-dependencies]
speed = ["orjson"]

[tool.poetry.group.dev.dependencies]
pytest = "*"
"""


def test_poetry_content_hash_matches_poetrys_own(tmp_path):
    """Poetry's locker is the reference: our hash must equal what `poetry lock` records."""
    from poetry.factory import Factory

    from shared_core.pins.poetry_lock import poetry_content_hash
    from shared_core.pipeline.project import read_pyproject

    (tmp_path / "pyproject.toml").write_text(POETRY_PYPROJECT)
    poetry = Factory().create_poetry(tmp_path)
    assert poetry_content_hash(read_pyproject(tmp_path / "pyproject.toml")) == poetry.locker._get_content_hash()


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


def test_requirements_index_options_become_indexes_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CORP_TOKEN", "t0k3n")
    (tmp_path / "wheels").mkdir()
    text = (
        "-i https://first.example/simple\n"
        "--index-url https://bot:${CORP_TOKEN}@corp.example/simple\n"
        "--extra-index-url=https://extra.example/simple\n"
        "-fwheels\n--find-links https://links.example/files/\n"
        "--trusted-host corp.example\n--trusted-host links.example\n--no-index\n--only-binary :all:\n--require-hashes\n"
        "a==1.0 --hash=sha256:aa\n"
    )
    options = requirements_options(text, origin="requirements.txt", base=tmp_path)
    assert options.indexes == (
        PackageIndex("requirements.txt --index-url", "https://corp.example/simple", "bot", "t0k3n", default=True),
        PackageIndex("requirements.txt --extra-index-url", "https://extra.example/simple", default=False),
    )
    assert options.settings == IndexSettings((str(tmp_path / "wheels"), "https://links.example/files/"), True,
                                             ("corp.example", "links.example"))
    assert options.require_hashes is True
    assert [line.requirement for line in parse_requirements_text(text, origin="t")] == ["a==1.0"]
    assert uv_index_env(options.indexes, options.settings) == {
        "UV_FIND_LINKS": f"{tmp_path / 'wheels'},https://links.example/files/",
        "UV_INSECURE_HOST": "corp.example links.example",
        "UV_DEFAULT_INDEX": "https://bot:t0k3n@corp.example/simple",
        "UV_INDEX": "https://extra.example/simple",
    }
    assert pip_index_env(options.indexes, options.settings) == {
        "PIP_FIND_LINKS": f"{tmp_path / 'wheels'} https://links.example/files/",
        "PIP_NO_INDEX": "1",
        "PIP_TRUSTED_HOST": "corp.example links.example",
        "PIP_INDEX_URL": "https://bot:t0k3n@corp.example/simple",
        "PIP_EXTRA_INDEX_URL": "https://extra.example/simple",
    }
    assert uv_index_args(options.settings) == ["--no-index"]
    assert uv_index_args(IndexSettings(find_links=("wheels",))) == []
    assert (uv_index_env([], IndexSettings()), pip_index_env([], IndexSettings())) == ({}, {})


def test_hash_rule_names_the_pins_without_hashes():
    check_hash_rule([Pin("a", "1", ("sha256:aa",)), Pin("b", "2", ("sha256:bb",))], "poetry.lock")
    check_hash_rule([Pin("a", "1"), Pin("b", "2")], "requirements.txt")
    with pytest.raises(LockError) as error:
        check_hash_rule([Pin("a", "1", ("sha256:aa",)), Pin("b", "2"), Pin("c", "3")], "poetry.lock")
    assert str(error.value).startswith("poetry.lock gives hashes for some pins but not for: b==2, c==3. ")
