"""shared_core.install.distributions: what a distribution's dist-info says: its scripts and requirements."""

from __future__ import annotations

from pathlib import Path

import pytest


def _dist_info(root: Path, name: str, record: str, entry_points: str = "", requires: str = "") -> Path:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{requires}")
    (info / "RECORD").write_text(record)
    if entry_points:
        (info / "entry_points.txt").write_text(entry_points)
    return info


@pytest.mark.parametrize("record, entry_points, scripts", [
    # uv --target records scripts inside the tree
    ("bin/tool,sha256=x,1\nbin/data-tool,sha256=x,1\ncli/__init__.py,sha256=x,1\n", "", {"bin/tool", "bin/data-tool"}),
    # pip --target records them outside it (its scheme's site-packages is two levels below)
    ("../../bin/tool,sha256=x,1\n../../bin/__pycache__/x.cpython-311.pyc,,\ncli/__init__.py,,\n", "", {"bin/tool"}),
    # declared entry points count even without a RECORD row; names keep their case and may hold ':' or '.'
    ("cli/__init__.py,,\n", "[console_scripts]\nTool = cli:main\nrun.me = cli:run\n[gui_scripts]\nwin:dow = cli:gui\n"
     "[other.group]\nnot-a-script = cli:x\n", {"bin/Tool", "bin/run.me", "bin/win:dow"}),
    ("cli/__init__.py,,\n", "this is not [an ini file\n", set()),
    # a package called bin: its modules are not scripts, its entry points still are
    ("bin/__init__.py,,\nbin/tool.py,,\n", "[console_scripts]\nbin-tool = bin.tool:main\n", {"bin/bin-tool"}),
])
def test_a_distributions_scripts(tmp_path, record, entry_points, scripts):
    from shared_core.install.distributions import read_distribution

    dist = read_distribution(tmp_path, _dist_info(tmp_path, "cli", record, entry_points))
    assert dist.scripts == frozenset(scripts)


def test_requires_keeps_the_whole_requirement_and_names_skip_extras(tmp_path):
    from shared_core.install.distributions import read_distribution

    requires = ('Requires-Dist: b>=2; python_version < "3.12"\nRequires-Dist: c[x] ; extra == "speed"\n'
                "Requires-Dist: A_Thing\n")
    dist = read_distribution(tmp_path, _dist_info(tmp_path, "pkg", "pkg/__init__.py,,\n", requires=requires))
    assert dist.requires == ('b>=2; python_version < "3.12"', 'c[x] ; extra == "speed"', "A_Thing")
    assert dist.requirement_names == ("A_Thing", "b")
