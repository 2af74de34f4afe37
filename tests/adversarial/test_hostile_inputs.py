"""Hostile wheels, locks and indexes against every entry point (issue 18's adversarial suite).

Each case is one hostile input; each entry point gets it the way its users would write it:

- ``console``: ``lambda-layer build`` on a requirements.txt (hash-pinned where the case needs an
  exact, incomplete or conflicting set, since a plain file is completed by a resolver);
- ``uv-lock``: ``lambda-layer build`` on a uv project locked by ``uv lock`` (then edited, where the
  case is a hostile lock: a package taken out, another moved to a version its dependent refuses);
- ``poetry``: ``poetry lambda-layer`` (Poetry's Application, in process) on a poetry.lock written
  here, fresh by Poetry's own content hash, whose packages come from the loopback index;
- ``hatch``: ``hatch build -t lambda-layer`` (Hatchling's builder, in process) on
  ``[project.dependencies]``, resolved for the target.

Every case must end in a layer that works on its target, or in exit 1 with a one-paragraph error
naming the package or file and no zip at all.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import pytest
from hatchling.metadata.core import ProjectMetadata
from packaging.requirements import Requirement

from hatch_lambda_layer.builder import LambdaLayerHatchBuilder
from shared_core.cli import main
from shared_core.pins.poetry_lock import poetry_content_hash
from shared_core.support.toolchain import find_uv
from shared_core.support.user_files import tomllib
from tests.helpers.layer_assertions import dists, names
from tests.helpers.wheelfactory import wheel_sha256

pytestmark = pytest.mark.in_process

LAYER = Path("build/lambda/layer/layer.zip")
ENTRY_POINTS = ("console", "uv-lock", "poetry", "hatch")


@dataclass(frozen=True)
class Pinned:
    """One distribution of a case: its name and version, and (for a hostile lock) what it claims to need."""

    name: str
    version: str = "1.0"
    requires: Tuple[str, ...] = ()
    index: str = "public"  # or "private": the shadow index's twin

    @property
    def wheel(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-py3-none-any.whl"


@dataclass(frozen=True)
class Case:
    """A hostile input, the dependencies a project declares for it, and what every entry point must do."""

    declared: Tuple[str, ...]
    #: The pin set an exact source (hash-pinned file, hand-made lock) holds; empty: the declared names as pins.
    pinned: Tuple[Pinned, ...] = ()
    python: str = "3.12"
    arch: str = "x86_64"
    exclude: Tuple[str, ...] = ()
    #: A fragment the error must contain (the package or file named), or None: the build must succeed.
    refused: Optional[str] = None
    #: Per entry point, another fragment (a resolver names the same fault its own way).
    refused_as: Dict[str, str] = field(default_factory=dict)
    #: What a successful layer must hold: {member: exact text} and the set of distributions.
    members: Dict[str, str] = field(default_factory=dict)
    distributions: Tuple[str, ...] = ()
    #: A check of the layer beyond members (path -> None, raising on failure).
    check: Optional[Callable[[Path], None]] = None
    #: How ``uv lock``'s honest lock is made hostile (the uv.lock text in, the edited text out).
    uv_lock_edit: Optional[Callable[[str], str]] = None


def _packages(lock: str) -> List[str]:
    return lock.split("\n\n")


def _without_package(name: str) -> Callable[[str], str]:
    """A uv.lock with ``name`` (and every edge to it) taken out, as if hand-edited."""
    def edit(lock: str) -> str:
        kept = [block for block in _packages(lock) if f'[[package]]\nname = "{name}"\n' not in block]
        return "\n\n".join(kept).replace(f'    {{ name = "{name}" }},\n', "")
    return edit


def _other_version(name: str, version: str, other: str) -> Callable[[str], str]:
    """A uv.lock whose ``name`` is moved from ``version`` to ``other`` (which its dependents do not accept)."""
    def edit(lock: str) -> str:
        snake = name.replace("-", "_")
        return "\n\n".join(
            block.replace(f'version = "{version}"', f'version = "{other}"').replace(f"{snake}-{version}-", f"{snake}-{other}-")
            if f'[[package]]\nname = "{name}"\n' in block else block
            for block in _packages(lock))
    return edit


def _cv2_kept(layer: Path) -> None:
    """Both own cv2/__init__.py and cv2/core.py: excluding fake-opencv leaves them, and takes only_main.py."""
    sources = {name for name in names(layer) if name.startswith("python/cv2/") and name.endswith(".py")}
    assert sources == {"python/cv2/__init__.py", "python/cv2/core.py", "python/cv2/contrib.py"}


def _sourceless_kept(layer: Path) -> None:
    assert "python/fake_sourceless/compiled.pyc" in names(layer)


CASES: Dict[str, Case] = {
    "missing dependency": Case(
        declared=("fake-a",), pinned=(Pinned("fake-a", requires=("fake-b",)),),
        refused="fake-a 1.0 requires fake-b, which is not in the layer",
        refused_as={"hatch": "fake-ghost"}, uv_lock_edit=_without_package("fake-b"),
    ),
    "conflicting pins": Case(
        declared=("fake-needs-v2", "fake-versioned==1.0"),
        pinned=(Pinned("fake-needs-v2", requires=("fake-versioned>=2",)), Pinned("fake-versioned", "1.0")),
        refused="fake-needs-v2 1.0 requires fake-versioned>=2, but the layer has fake-versioned 1.0",
        refused_as={"hatch": "fake-versioned"}, uv_lock_edit=_other_version("fake-versioned", "2.0", "1.0"),
    ),
    "files shared by two distributions": Case(
        declared=("fake-opencv", "fake-opencv-contrib"), pinned=(Pinned("fake-opencv"), Pinned("fake-opencv-contrib")),
        exclude=("fake-opencv",), distributions=("fake-opencv-contrib",), check=_cv2_kept,
    ),
    "sourceless bytecode": Case(
        declared=("fake-sourceless",), pinned=(Pinned("fake-sourceless"),), python="3.11",
        distributions=("fake-sourceless",), check=_sourceless_kept,
    ),
    "ELF without a native name": Case(
        declared=("fake-elf-exe",), pinned=(Pinned("fake-elf-exe"),), arch="arm64",
        refused="fake_elf_exe/bin/helper is built for ELF machine 62, not aarch64 (183)",
    ),
    "universal Mach-O": Case(
        declared=("fake-fat-macho",), pinned=(Pinned("fake-fat-macho"),),
        refused="fake_fat_macho/.dylibs/libfoo is a macOS (Mach-O universal) binary",
    ),
    "syntax for a newer Python": Case(
        declared=("fake-new-syntax",), pinned=(Pinned("fake-new-syntax"),), python="3.11",
        refused="fake_new_syntax/aliases.py of fake-new-syntax 1.0 (SyntaxError: invalid syntax at line 1)",
    ),
    "private index shadowed by a public twin": Case(
        declared=("fake-confused",), pinned=(Pinned("fake-confused", index="private"),),
        members={"python/fake_confused/__init__.py": "ORIGIN = 'private'\n"}, distributions=("fake-confused",),
    ),
}
# the hostile *dependency* of the "missing dependency" case for a resolver: a wheel requiring what no index has
HATCH_DECLARED = {"missing dependency": ("fake-needs-ghost",)}


# -- the entry points ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    output: str
    root: Path


class Fixtures:
    """What every entry point needs: the wheelhouses, the two loopback indexes and the session's isolation."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.wheelhouse: Path = request.getfixturevalue("wheelhouse")
        self.private_wheelhouse: Path = request.getfixturevalue("private_wheelhouse")
        self.index_url: str = request.getfixturevalue("index_url")
        self.shadow_url: str = request.getfixturevalue("shadow_index_url")
        self.env: Dict[str, str] = request.getfixturevalue("core_env")
        self.monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
        self.capsys: pytest.CaptureFixture = request.getfixturevalue("capsys")
        self.request = request
        self.root = tmp_path / "project"
        self.root.mkdir(parents=True)

    def sha256(self, pinned: Pinned) -> str:
        house = self.private_wheelhouse if pinned.index == "private" else self.wheelhouse
        return wheel_sha256(house, pinned.wheel)

    def online(self) -> None:
        """Reach the loopback indexes (the session is otherwise offline, wheelhouse only)."""
        self.monkeypatch.delenv("UV_OFFLINE", raising=False)


def _uv_sources(case: Case, fixtures: Fixtures) -> str:
    if not any(pinned.index == "private" for pinned in case.pinned):
        return ""
    bound = "".join(f'{p.name} = {{ index = "private" }}\n' for p in case.pinned if p.index == "private")
    return f'[tool.uv.sources]\n{bound}[[tool.uv.index]]\nname = "private"\nurl = "{fixtures.shadow_url}"\nexplicit = true\n'


def _project(case: Case, declared: Sequence[str]) -> str:
    return f'[project]\nname = "hostile"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = {json.dumps(list(declared))}\n'


def _build_args(case: Case) -> List[str]:
    return ["--python", case.python, "--arch", case.arch, *(arg for name in case.exclude for arg in ("--exclude", name))]


def run_console(case: Case, fixtures: Fixtures) -> Outcome:
    if any(pinned.index == "private" for pinned in case.pinned):
        # a requirements file binds no package to an index: the project's uv sources do, resolved on purpose
        fixtures.online()
        (fixtures.root / "pyproject.toml").write_text(_project(case, case.declared) + _uv_sources(case, fixtures))
        args = ["--tool", "hatch"]
    else:
        pins = case.pinned or tuple(Pinned(name) for name in case.declared)
        (fixtures.root / "requirements.txt").write_text(
            "".join(f"{p.name}=={p.version} --hash=sha256:{fixtures.sha256(p)}\n" for p in pins))
        args = []
    code = main(["build", "--project", str(fixtures.root), *args, *_build_args(case)])
    out, err = fixtures.capsys.readouterr()
    return Outcome(code, out + err, fixtures.root)


def run_uv_lock(case: Case, fixtures: Fixtures) -> Outcome:
    if any(pinned.index == "private" for pinned in case.pinned):
        fixtures.online()
    declared = [name.split("==")[0] for name in case.declared] if case.uv_lock_edit else case.declared
    (fixtures.root / "pyproject.toml").write_text(_project(case, declared) + "[tool.uv]\n" + _uv_sources(case, fixtures))
    subprocess.run([find_uv(), "lock", "--quiet"], cwd=fixtures.root, check=True, timeout=120)
    if case.uv_lock_edit is not None:  # an honest lock, then made hostile
        lock = fixtures.root / "uv.lock"
        edited = case.uv_lock_edit(lock.read_text())
        assert edited != lock.read_text()
        lock.write_text(edited)
    code = main(["build", "--project", str(fixtures.root), *_build_args(case)])
    out, err = fixtures.capsys.readouterr()
    return Outcome(code, out + err, fixtures.root)


def poetry_lock_text(case: Case, fixtures: Fixtures, pyproject: str) -> str:
    """A poetry.lock (format 2.1) holding exactly ``case.pinned``, each from its source, fresh for ``pyproject``."""
    entries = []
    for pinned in case.pinned:
        url, reference = (fixtures.shadow_url, "private") if pinned.index == "private" else (fixtures.index_url, "fixture")
        dependencies = "".join(f'{req.name} = "{req.specifier or "*"}"\n' for req in map(Requirement, pinned.requires))
        entries.append(
            f'[[package]]\nname = "{pinned.name}"\nversion = "{pinned.version}"\ndescription = ""\noptional = false\n'
            f'python-versions = "*"\ngroups = ["main"]\nfiles = [\n    {{file = "{pinned.wheel}", hash = '
            f'"sha256:{fixtures.sha256(pinned)}"}},\n]\n'
            + (f"\n[package.dependencies]\n{dependencies}" if dependencies else "")
            + f'\n[package.source]\ntype = "legacy"\nurl = "{url}"\nreference = "{reference}"\n'
        )
    content_hash = poetry_content_hash(tomllib.loads(pyproject))
    return "\n".join(entries) + f'\n[metadata]\nlock-version = "2.1"\npython-versions = ">=3.11"\ncontent-hash = "{content_hash}"\n'


def run_poetry(case: Case, fixtures: Fixtures) -> Outcome:
    pyproject = (_project(case, case.declared) + "\n[tool.poetry]\npackage-mode = false\n\n"
                 f'[[tool.poetry.source]]\nname = "fixture"\nurl = "{fixtures.index_url}"\npriority = "primary"\n')
    if any(pinned.index == "private" for pinned in case.pinned):
        pyproject += f'\n[[tool.poetry.source]]\nname = "private"\nurl = "{fixtures.shadow_url}"\npriority = "explicit"\n'
        pyproject += "\n[tool.poetry.dependencies]\n" + "".join(
            f'{p.name} = {{ source = "private" }}\n' for p in case.pinned if p.index == "private")
    (fixtures.root / "pyproject.toml").write_text(pyproject)
    (fixtures.root / "poetry.lock").write_text(poetry_lock_text(case, fixtures, pyproject))
    poetry_app = fixtures.request.getfixturevalue("poetry_app")
    code, out, err = poetry_app(f"lambda-layer --project {fixtures.root} " + " ".join(_build_args(case)))
    return Outcome(code, out + err, fixtures.root)


def run_hatch(case: Case, fixtures: Fixtures, name: str) -> Outcome:
    declared = HATCH_DECLARED.get(name, case.declared)
    target = {"python-version": case.python, "architecture": case.arch, "exclude-packages": list(case.exclude)}
    text = ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n' + _project(case, declared)
            + _uv_sources(case, fixtures) + "\n[tool.hatch.build.targets.lambda-layer]\n"
            + "".join(f"{key} = {json.dumps(value)}\n" for key, value in target.items()))
    if _uv_sources(case, fixtures):
        fixtures.online()
    (fixtures.root / "pyproject.toml").write_text(text)
    config = tomllib.loads(text)
    builder = LambdaLayerHatchBuilder(str(fixtures.root), metadata=ProjectMetadata(str(fixtures.root), None, config=config))
    try:
        list(builder.build())
        code = 0
    except SystemExit as exit_:  # Hatch's app.abort
        code = int(exit_.code or 1)
    out, err = fixtures.capsys.readouterr()
    return Outcome(code, out + err, fixtures.root)


def run(entry_point: str, name: str, case: Case, fixtures: Fixtures) -> Outcome:
    if entry_point == "console":
        return run_console(case, fixtures)
    if entry_point == "uv-lock":
        return run_uv_lock(case, fixtures)
    if entry_point == "poetry":
        return run_poetry(case, fixtures)
    return run_hatch(case, fixtures, name)


# -- the table --------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("name", list(CASES))
def test_every_entry_point_refuses_or_builds_a_working_layer(request, tmp_path, name, entry_point):
    case = CASES[name]
    expected = case.refused_as.get(entry_point, case.refused)
    fixtures = Fixtures(request, tmp_path)
    outcome = run(entry_point, name, case, fixtures)
    layer = outcome.root / LAYER
    assert "Traceback" not in outcome.output
    if expected is not None:
        assert outcome.code == 1, outcome.output
        assert expected in outcome.output
        assert not layer.exists()
        return
    assert outcome.code == 0, outcome.output
    assert dists(layer) == set(case.distributions)
    with zipfile.ZipFile(layer) as archive:
        for member, text in case.members.items():
            assert archive.read(member).decode() == text
    if case.check is not None:
        case.check(layer)


def test_the_same_hostile_case_gives_the_same_bytes_from_every_entry_point_that_builds(request, tmp_path):
    """The shared-files case builds everywhere: one layer, whatever entry point built it."""
    digests = set()
    for entry_point in ("console", "uv-lock", "hatch", "poetry"):  # Poetry's fixture takes the session offline last
        fixtures = Fixtures(request, tmp_path / entry_point)
        outcome = run(entry_point, "files shared by two distributions", CASES["files shared by two distributions"], fixtures)
        assert outcome.code == 0, outcome.output
        digests.add(hashlib.sha256((outcome.root / LAYER).read_bytes()).hexdigest())
    assert len(digests) == 1
