"""A cold big build side by side (issue 23): ours before and after, SAM's builder library, pip + zip -9.

    .venv/bin/python benchmarks/bench_cold_big.py [--rounds N] [--base REV] [--workdir DIR]
                                                   [--levels 1,4,6,9,12] [--no-small]

Set-up (not timed), under the work directory:

- ours: the tool at ``--base`` (default ``8843fe4``, the commit this work started from) and this
  checkout's working tree, each installed non-editable into a venv of its own (``git archive`` of the
  base; ``pip install`` of the tree);
- SAM: ``aws-lambda-builders==1.68.0`` in a venv of the target's Python (3.12), never in the
  project's ``.venv``. Its ``python_pip`` workflow is called the way ``sam build`` calls it for a
  layer (``LambdaBuilder("python", "pip", None).build(...)``, ``is_building_layer=True``, artifacts in
  ``<layer>/python``), then the folder is zipped the way ``sam package`` does (samcli
  ``lib/package/utils.py``: an MD5 of the folder, then ``zipfile`` with ``ZIP_DEFLATED`` at its default
  level, ``os.walk`` order), in one child interpreter;
- pip + zip: that venv's pip, ``pip install --platform manylinux2014_x86_64 --platform
  manylinux_2_28_x86_64 --only-binary=:all: --python-version 3.12 --implementation cp -t python/ -r
  requirements.txt`` (pyarrow 26 has only manylinux_2_28 wheels, so the 2014 tag alone cannot install
  it), then ``zip -r -9 -q -X layer.zip python``;
- the big layer: pandas + pyarrow + requests for python3.12 x86_64, hash-pinned by ``uv pip compile
  --generate-hashes`` (installed as written by every tool), ``drop-package-tests`` for ours (without
  it the layer is over Lambda's limit; SAM and pip ship the tests, they have no such setting);
- one untimed build per tool first, so every download cache is warm: the network is not measured.

Each round, each tool builds cold: its own build caches emptied (ours: ``LAMBDA_LAYER_CACHE_DIR``, i.e.
bytecode, zip members and import checks, and ``build/``; SAM's artifacts and scratch; pip's target),
the download caches (uv's, pip's) warm. "Emptied" is a rename into ``trash/``, deleted at the end: on
ext4, creating files within about a minute of deleting thousands makes the inode allocator skip the
recently freed ones (``find_inode_bit``/``recently_deleted``), which cost up to a CPU-second, at random,
to whichever tool ran next; a fresh CI runner has no such deletions behind it. The four run one after another in an order that rotates each
round, so load on a shared machine hits them alike. Measured: wall and CPU seconds (user + system of
the whole process tree), ours' stage lines (they overlap after this work: each is its own span), and
the sha256 of our zips, before against after. Then, unless ``--no-small``: the example projects
(``examples/poetry-demo``, ``examples/hatch-demo``) built by both versions, sha256 compared, with
their forced rebuild and no-op build timed (interleaved, same rounds). ``--levels``: ours (after)
cold at each level on the big layer, once each, for the README's table of CPU and bytes.

Reported: medians, ratios (after/before, after/SAM, after/pip), the load average at the start,
after each round and at the end. Goal: after <= 0.6x SAM's wall time, CPU no higher than before's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bench_verification import copy_example  # beside this script

REPO_ROOT = Path(__file__).resolve().parent.parent
BASE = "8843fe4"
SAM_REQUIREMENT = "aws-lambda-builders==1.68.0"
BIG = ("pandas", "pyarrow", "requests")
PYTHON = "3.12"
TIMEOUT = 1800
GOAL = 0.6
SCRUBBED = ("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX", "LAMBDA_LAYER_", "SOURCE_DATE_EPOCH")
STAGE = re.compile(r"^(resolve|install|compile|import check|zip): .*\((\d+\.\d+) s\)$")
TOOLS = ("before", "after", "sam", "pip")

#: Run by the SAM venv's interpreter: ``sam build`` of one layer, then ``sam package``'s zip of it.
SAM_SCRIPT = r"""
import hashlib, json, os, sys, tempfile, time, zipfile
from aws_lambda_builders.builder import LambdaBuilder

source, layer = sys.argv[1], sys.argv[2]
started = time.perf_counter()
with tempfile.TemporaryDirectory() as scratch:
    LambdaBuilder(language="python", dependency_manager="pip", application_framework=None).build(
        source, os.path.join(layer, "python"), scratch, os.path.join(source, "requirements.txt"),
        runtime="python3.12", architecture="x86_64", is_building_layer=True, download_dependencies=True,
        combine_dependencies=True)
built = time.perf_counter()
digest = hashlib.md5()  # sam package names the upload by an MD5 of the folder first
for folder, dirs, files in os.walk(layer, followlinks=True):
    dirs.sort()
    for name in sorted(files):
        path = os.path.join(folder, name)
        digest.update(os.path.relpath(path, layer).encode())
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
with open(layer + ".zip", "wb") as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, _, files in os.walk(layer, followlinks=True):
        for name in files:
            path = os.path.join(folder, name)
            archive.write(path, os.path.relpath(path, layer))
print(json.dumps({"build": built - started, "package": time.perf_counter() - built}))
"""


class BenchError(RuntimeError):
    """A set-up or build step failed; the message shows its output."""


@dataclass
class Run:
    wall: float
    cpu: float
    stages: Dict[str, float] = field(default_factory=dict)
    sha256: str = ""
    zipped: int = 0


@dataclass
class Bench:
    workdir: Path
    tools: Dict[str, Path]  # before/after: lambda-layer; sam/pip: the SAM venv's python
    env: Dict[str, str]
    interpreter_dir: Path
    runs: Dict[str, List[Run]] = field(default_factory=dict)


def environment(workdir: Path) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED)}
    env.update(UV_NO_CONFIG="1", PIP_CONFIG_FILE="/dev/null", UV_PYTHON_DOWNLOADS="never", PIP_DISABLE_PIP_VERSION_CHECK="1",
               UV_CACHE_DIR=str(workdir / "uv-cache"), PIP_CACHE_DIR=str(workdir / "pip-cache"))
    return env


def run(command: Sequence[str], what: str, env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None) -> str:
    completed = subprocess.run([str(part) for part in command], env=env, cwd=cwd, capture_output=True, text=True,
                               timeout=TIMEOUT)
    if completed.returncode != 0:
        raise BenchError(f"{what} failed (exit {completed.returncode}):\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def timed(command: Sequence[str], what: str, env: Dict[str, str], cwd: Optional[Path] = None) -> Tuple[float, float, str]:
    """Wall and CPU seconds (the whole process tree) of one command, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    output = run(command, what, env, cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), output


def discard(bench: "Bench", path: Path) -> None:
    """Move ``path`` out of the way (deleted at the end, see the module's docstring)."""
    if path.exists():
        trash = bench.workdir / "trash"
        trash.mkdir(exist_ok=True)
        path.rename(Path(tempfile.mkdtemp(dir=trash)) / path.name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


# --------------------------------------------------------------------------- set-up


def find_python(version: str) -> Path:
    """A base interpreter of ``version``: on PATH, or pyenv's."""
    candidates = [shutil.which(f"python{version}") or ""]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(path) for path in pyenv.glob(f"versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        completed = subprocess.run([candidate, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True)
        if completed.returncode == 0:
            return Path(completed.stdout.strip())
    raise BenchError(f"no Python {version} interpreter found (PATH, pyenv)")


def install_ours(workdir: Path, version: str, source: Path, again: bool = False) -> Path:
    """``source`` installed into a venv of its own (``again``: reinstalled over the last run's)."""
    venv = workdir / f"venv-{version}"
    if not (venv / "bin/lambda-layer").exists():
        run([sys.executable, "-m", "venv", str(venv)], f"venv for {version}")
        run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(source)], f"pip install ({version})")
    elif again:
        run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", str(source)],
            f"pip install ({version})")
    return venv / "bin/lambda-layer"


def base_source(workdir: Path, base: str) -> Path:
    target = workdir / f"src-{base}"
    if not target.exists():
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", base], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def install_sam(workdir: Path, python: Path) -> Path:
    venv = workdir / "venv-sam"
    if not (venv / "bin/python").exists():
        run([str(python), "-m", "venv", str(venv)], "venv for SAM's builder")
        run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", SAM_REQUIREMENT], f"pip install {SAM_REQUIREMENT}")
    return venv / "bin/python"


def big_requirements(env: Dict[str, str]) -> str:
    """pandas + pyarrow + requests for the target, every pin with its hashes (installed as written)."""
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "pip", "compile", "-", "--python-version", PYTHON, "--python-platform",
         "x86_64-manylinux_2_34", "--generate-hashes", "--no-header", "--no-annotate", "--quiet", "--python", sys.executable],
        input="\n".join(BIG) + "\n", env=env, capture_output=True, text=True, timeout=TIMEOUT)
    if completed.returncode != 0:
        raise BenchError(f"uv pip compile failed:\n{completed.stderr}")
    return completed.stdout


def big_project(workdir: Path, name: str, requirements: str, ours: bool) -> Path:
    project = workdir / "projects" / name
    project.mkdir(parents=True, exist_ok=True)
    (project / "requirements.txt").write_text(requirements)
    if ours:
        (project / "pyproject.toml").write_text(
            f'[tool.lambda-layer]\npython-version = "{PYTHON}"\narchitecture = "x86_64"\ndrop-package-tests = true\n')
    return project


# --------------------------------------------------------------------------- one cold build per tool


def build_ours(bench: Bench, version: str, project: Path, *args: str) -> Run:
    cache = bench.workdir / f"layer-cache-{version}"
    discard(bench, cache)
    discard(bench, project / "build")
    env = dict(bench.env, LAMBDA_LAYER_CACHE_DIR=str(cache))
    wall, cpu, output = timed([bench.tools[version], "build", "--project", project, *args], f"{version} build", env)
    stages = {m.group(1): float(m.group(2)) for m in map(STAGE.match, output.splitlines()) if m}
    layer = project / "build/lambda/layer/layer.zip"
    return Run(wall, cpu, stages, sha256(layer), layer.stat().st_size)


def build_sam(bench: Bench, project: Path) -> Run:
    layer = bench.workdir / "out-sam" / "Layer"
    discard(bench, layer.parent)
    layer.parent.mkdir(parents=True)
    env = dict(bench.env, PATH=f"{bench.tools['sam'].parent}{os.pathsep}{bench.env['PATH']}")
    wall, cpu, output = timed([bench.tools["sam"], "-c", SAM_SCRIPT, project, layer], "SAM's builder", env)
    stages = json.loads(output.strip().splitlines()[-1])
    zipped = Path(f"{layer}.zip")
    return Run(wall, cpu, stages, zipped=zipped.stat().st_size)


def build_pip(bench: Bench, project: Path) -> Run:
    out = bench.workdir / "out-pip"
    discard(bench, out)
    out.mkdir(parents=True)
    install = [bench.tools["pip"], "-m", "pip", "install", "--quiet", "--platform", "manylinux2014_x86_64", "--platform",
               "manylinux_2_28_x86_64", "--only-binary=:all:", "--python-version", PYTHON, "--implementation", "cp",
               "-t", out / "python", "-r", project / "requirements.txt"]
    wall_install, cpu_install, _ = timed(install, "pip install --platform", bench.env)
    wall_zip, cpu_zip, _ = timed(["zip", "-r", "-9", "-q", "-X", "layer.zip", "python"], "zip -r -9", bench.env, cwd=out)
    stages = {"install": wall_install, "zip": wall_zip}
    return Run(wall_install + wall_zip, cpu_install + cpu_zip, stages, zipped=(out / "layer.zip").stat().st_size)


# --------------------------------------------------------------------------- the measurements


def measure_big(bench: Bench, requirements: str, rounds: int) -> None:
    projects = {version: big_project(bench.workdir, f"big-{version}", requirements, ours=True) for version in ("before", "after")}
    shared = big_project(bench.workdir, "big-reference", requirements, ours=False)
    builders: Dict[str, Callable[[], Run]] = {
        "before": lambda: build_ours(bench, "before", projects["before"]),
        "after": lambda: build_ours(bench, "after", projects["after"]),
        "sam": lambda: build_sam(bench, shared),
        "pip": lambda: build_pip(bench, shared),
    }
    for name, builder in builders.items():  # untimed: every download cache warm
        print(f"warm-up: {name} ...", flush=True)
        builder()
    for number in range(rounds):
        order = list(TOOLS[number % len(TOOLS):] + TOOLS[:number % len(TOOLS)])
        for name in order:
            result = builders[name]()
            bench.runs.setdefault(name, []).append(result)
            print(f"round {number + 1}: {name:6} wall {result.wall:6.2f} s, CPU {result.cpu:6.2f} s, load {load()}", flush=True)
        before, after = bench.runs["before"][-1], bench.runs["after"][-1]
        if before.sha256 != after.sha256:
            raise BenchError(f"round {number + 1}: the zips differ: before {before.sha256}, after {after.sha256}")


def median(runs: List[Run], pick: Callable[[Run], float]) -> float:
    return statistics.median(pick(run) for run in runs)


def report_big(bench: Bench) -> bool:
    rows = [(name, median(bench.runs[name], lambda r: r.wall), median(bench.runs[name], lambda r: r.cpu)) for name in TOOLS]
    walls = {name: wall for name, wall, _ in rows}
    cpus = {name: cpu for name, _, cpu in rows}
    print(f"\nbig layer, cold, median of {len(bench.runs['after'])} rounds:")
    print(f"{'tool':8} {'wall s':>8} {'CPU s':>8} {'cores':>6} {'zip bytes':>12}  {'after/tool wall':>15} {'after/tool CPU':>14}   runs (wall)")
    for name, wall, cpu in rows:
        zipped = bench.runs[name][-1].zipped
        runs = ", ".join(f"{run.wall:.2f}" for run in bench.runs[name])
        print(f"{name:8} {wall:8.2f} {cpu:8.2f} {cpu / wall:6.2f} {zipped:12,}  {walls['after'] / wall:15.2f} "
              f"{cpus['after'] / cpu:14.2f}   {runs}")
    print("\nstages (median seconds; ours' lines overlap after this work, each is its own span):")
    for name in TOOLS:
        stages = sorted({stage for run in bench.runs[name] for stage in run.stages})
        print(f"  {name:8} " + ", ".join(f"{stage} {median(bench.runs[name], lambda r, s=stage: r.stages.get(s, 0.0)):.2f}"
                                        for stage in stages))
    digests = {run.sha256 for name in ("before", "after") for run in bench.runs[name]}
    print(f"\nsha256 of the big layer, before and after, every round: {', '.join(sorted(digests))} "
          f"({'identical' if len(digests) == 1 else 'DIFFERENT'})")
    ratio = walls["after"] / walls["sam"]
    met = ratio <= GOAL and cpus["after"] <= cpus["before"] and len(digests) == 1
    print(f"goal: after <= {GOAL}x SAM's wall ({ratio:.2f}x), CPU <= before's ({cpus['after']:.2f} s against "
          f"{cpus['before']:.2f} s), byte-identical: {'met' if met else 'NOT met'}")
    return met


def measure_small(bench: Bench, rounds: int) -> None:
    """The example projects: byte-identical zips, forced rebuild and no-op build, both versions interleaved."""
    trees = {}
    for version in ("before", "after"):
        for example in ("poetry-demo", "hatch-demo"):
            target = bench.workdir / "projects" / f"{example}-{version}"
            if not target.exists():
                copy_example(example, target)
            trees[(example, version)] = target
            cache = bench.workdir / f"layer-cache-{version}"
            env = dict(bench.env, LAMBDA_LAYER_CACHE_DIR=str(cache))
            run([bench.tools[version], "build", "--project", target, "--force"], f"{example} ({version})", env)
    for number in range(rounds):
        order = ["before", "after"] if number % 2 == 0 else ["after", "before"]
        for example in ("poetry-demo", "hatch-demo"):
            for kind, args in (("forced", ("--force",)), ("no-op", ())):
                for version in order:
                    env = dict(bench.env, LAMBDA_LAYER_CACHE_DIR=str(bench.workdir / f"layer-cache-{version}"))
                    wall, cpu, _ = timed([bench.tools[version], "build", "--project", trees[(example, version)], *args],
                                         f"{example} {kind} ({version})", env)
                    layer = trees[(example, version)] / "build/lambda/layer/layer.zip"
                    bench.runs.setdefault(f"{example} {kind} {version}", []).append(Run(wall, cpu, sha256=sha256(layer)))
        print(f"small round {number + 1} done, load {load()}", flush=True)


def report_small(bench: Bench) -> bool:
    met = True
    print(f"\n{'example':12} {'build':7} {'before s':>9} {'after s':>9} {'after/before':>13}   sha256 (before = after?)")
    for example in ("poetry-demo", "hatch-demo"):
        for kind in ("forced", "no-op"):
            before, after = bench.runs[f"{example} {kind} before"], bench.runs[f"{example} {kind} after"]
            b, a = median(before, lambda r: r.wall), median(after, lambda r: r.wall)
            same = before[-1].sha256 == after[-1].sha256
            met &= same
            print(f"{example:12} {kind:7} {b:9.3f} {a:9.3f} {a / b:13.2f}   {after[-1].sha256[:16]}... "
                  f"({'identical' if same else 'DIFFERENT'})")
    return met


def measure_levels(bench: Bench, requirements: str, levels: Sequence[int]) -> None:
    project = big_project(bench.workdir, "big-levels", requirements, ours=True)
    print("\nours (after), big layer, cold, one build per level:")
    print(f"{'level':>5} {'wall s':>8} {'CPU s':>8} {'zip stage s':>11} {'zip bytes':>12} {'unzipped bytes':>15}")
    for level in levels:
        result = build_ours(bench, "after", project, "--compression-level", str(level))
        with zipfile.ZipFile(project / "build/lambda/layer/layer.zip") as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        print(f"{level:5} {result.wall:8.2f} {result.cpu:8.2f} {result.stages.get('zip', 0.0):11.2f} {result.zipped:12,} "
              f"{unzipped:15,}   load {load()}", flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default=BASE, help="the version to compare with (a git revision of this repository)")
    parser.add_argument("--workdir", type=Path, help="keep venvs, caches and projects here (default: a temporary directory)")
    parser.add_argument("--levels", default="", help="also build ours cold at these compression levels (comma-separated)")
    parser.add_argument("--no-small", action="store_true", help="skip the example projects")
    args = parser.parse_args(argv)
    if shutil.which("zip") is None:
        parser.error("the Info-ZIP `zip` binary is not on PATH (the pip recipe zips with it)")
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="bench-cold-big-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"workdir {workdir}; base {args.base}; load average {load()}; {os.cpu_count()} CPUs", flush=True)
    try:
        python = find_python(PYTHON)
        env = environment(workdir)
        sam_python = install_sam(workdir, python)
        tools = {"before": install_ours(workdir, "before", base_source(workdir, args.base)),
                 "after": install_ours(workdir, "after", REPO_ROOT, again=True), "sam": sam_python, "pip": sam_python}
        bench = Bench(workdir, tools, env, python.parent)
        requirements = big_requirements(env)
        measure_big(bench, requirements, args.rounds)
        met = report_big(bench)
        if not args.no_small:
            measure_small(bench, args.rounds)
            met &= report_small(bench)
        if args.levels:
            measure_levels(bench, requirements, [int(level) for level in args.levels.split(",")])
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"\nload average at the end {load()}")
    shutil.rmtree(workdir / "trash", ignore_errors=True)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
