"""What verifying the whole result costs: forced rebuilds before and after, side by side (issue 18).

    .venv/bin/python benchmarks/bench_verification.py [--rounds N] [--base REV] [--workdir DIR]

Set-up (not timed): the tool at ``--base`` (default: the last commit before the verification
work, ``a7612d7``) and the tool of this checkout are each installed, non-editable, into a venv of
their own under the work directory (``git archive`` of the base; ``pip install`` of this working
tree). Each gets its own copy of two projects, so they never share ``build/``:

- the Poetry example (``examples/poetry-demo``: poetry.lock, python3.12 arm64, 12 pins);
- the big layer: pandas + pyarrow + requests for python3.12 x86_64 with ``drop-package-tests``,
  pinned once by ``uv pip compile --generate-hashes`` (a complete hash-pinned requirements.txt,
  installed as written by both versions).

Every build runs ``lambda-layer build`` of its version in a subprocess with PIP/UV configuration
scrubbed, one shared warm ``UV_CACHE_DIR`` and a ``LAMBDA_LAYER_CACHE_DIR`` per version (warm:
one untimed build of each project first). Measured, N rounds, the two versions interleaved (the
order alternates each round):

- forced rebuild (``--force``): wall seconds and CPU seconds (user + system of the process tree);
- up to date (no ``--force``, nothing changed): wall seconds.

Reported: medians, after/before ratios, and whether the zips are byte-identical. Goal (issue
18): forced rebuilds within 5% of before (ratio <= 1.05), up to date under 0.2 s.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
BASE = "a7612d7"
BIG = ("pandas", "pyarrow", "requests")
TIMEOUT = 1800
SCRUBBED = ("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX", "LAMBDA_LAYER_", "SOURCE_DATE_EPOCH")
FORCED_GOAL = 1.05
UP_TO_DATE_GOAL = 0.2


class BenchError(RuntimeError):
    """A set-up or build step failed; the message shows its output."""


@dataclass
class Timing:
    wall: float
    cpu: float
    sha256: str


@dataclass
class Results:
    forced: Dict[Tuple[str, str], List[Timing]] = field(default_factory=dict)  # (project, version) -> runs
    up_to_date: Dict[Tuple[str, str], List[Timing]] = field(default_factory=dict)


def environment(workdir: Path, version: str) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED)}
    env.update(UV_NO_CONFIG="1", PIP_CONFIG_FILE="/dev/null", UV_PYTHON_DOWNLOADS="never",
               UV_CACHE_DIR=str(workdir / "uv-cache"), LAMBDA_LAYER_CACHE_DIR=str(workdir / f"layer-cache-{version}"))
    return env


def run(command: Sequence[str], what: str, env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None) -> str:
    completed = subprocess.run(list(command), env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
    if completed.returncode != 0:
        raise BenchError(f"{what} failed (exit {completed.returncode}):\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def install(workdir: Path, version: str, source: Path) -> Path:
    venv = workdir / f"venv-{version}"
    run([sys.executable, "-m", "venv", str(venv)], f"venv for {version}")
    run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(source)], f"pip install ({version})")
    return venv / "bin/lambda-layer"


def base_source(workdir: Path, base: str) -> Path:
    target = workdir / "src-before"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", base], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def big_requirements(env: Dict[str, str]) -> str:
    """pandas + pyarrow + requests for the target, every pin with its hashes (installed as written)."""
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "pip", "compile", "-", "--python-version", "3.12", "--python-platform",
         "x86_64-manylinux_2_34", "--generate-hashes", "--no-header", "--no-annotate", "--quiet", "--python", sys.executable],
        input="\n".join(BIG) + "\n", env=env, capture_output=True, text=True, timeout=TIMEOUT)
    if completed.returncode != 0:
        raise BenchError(f"uv pip compile failed:\n{completed.stderr}")
    return completed.stdout


def copy_example(example: str, target: Path) -> Path:
    """A copy of ``examples/<example>`` an older version can build: without the function's table, which came
    later (an older version refuses keys it does not know) and which the layer does not read."""
    shutil.copytree(REPO_ROOT / "examples" / example, target, ignore=shutil.ignore_patterns("build", ".venv"))
    pyproject = target / "pyproject.toml"
    pyproject.write_text(re.sub(r"(?ms)^\[tool\.lambda-layer\.function\]\n.*?(?=^\[|\Z)", "", pyproject.read_text()))
    return target


def projects(workdir: Path, version: str, requirements: str) -> Dict[str, Path]:
    demo = copy_example("poetry-demo", workdir / version / "poetry-demo")
    big = workdir / version / "big"
    big.mkdir(parents=True)
    (big / "pyproject.toml").write_text('[tool.lambda-layer]\npython-version = "3.12"\ndrop-package-tests = true\n')
    (big / "requirements.txt").write_text(requirements)
    return {"poetry-demo": demo, "pandas+pyarrow": big}


def build(tool: Path, project: Path, env: Dict[str, str], *args: str) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run([str(tool), "build", "--project", str(project), *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise BenchError(f"{tool} build --project {project} {' '.join(args)} failed:\n{completed.stdout}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    digest = hashlib.sha256((project / "build/lambda/layer/layer.zip").read_bytes()).hexdigest()
    return Timing(wall, cpu, digest)


def measure(workdir: Path, base: str, rounds: int) -> Results:
    tools = {"before": install(workdir, "before", base_source(workdir, base)), "after": install(workdir, "after", REPO_ROOT)}
    envs = {version: environment(workdir, version) for version in tools}
    requirements = big_requirements(envs["after"])
    trees = {version: projects(workdir, version, requirements) for version in tools}
    for version, tool in tools.items():  # untimed: uv cache, bytecode and member caches warm
        for project in trees[version].values():
            build(tool, project, envs[version], "--force")
    results = Results()
    for number in range(rounds):
        order = ["before", "after"] if number % 2 == 0 else ["after", "before"]
        for name in trees["before"]:
            for version in order:
                timing = build(tools[version], trees[version][name], envs[version], "--force")
                results.forced.setdefault((name, version), []).append(timing)
            for version in order:
                timing = build(tools[version], trees[version][name], envs[version])
                results.up_to_date.setdefault((name, version), []).append(timing)
        print(f"round {number + 1} done, load {os.getloadavg()[0]:.2f}", flush=True)
    return results


def report(results: Results) -> bool:
    met = True
    print(f"\n{'project':16} {'measure':12} {'before':>9} {'after':>9} {'after/before':>13}   identical zip")
    for name in dict.fromkeys(project for project, _ in results.forced):
        before, after = results.forced[(name, "before")], results.forced[(name, "after")]
        for label, pick in (("forced wall", lambda t: t.wall), ("forced CPU", lambda t: t.cpu)):
            b, a = statistics.median(map(pick, before)), statistics.median(map(pick, after))
            same = "yes" if before[0].sha256 == after[0].sha256 else "no (the layer's contents changed)"
            print(f"{name:16} {label:12} {b:8.2f}s {a:8.2f}s {a / b:13.3f}   {same}")
            if label == "forced wall":
                met &= a / b <= FORCED_GOAL
        fresh_b = statistics.median(t.wall for t in results.up_to_date[(name, "before")])
        fresh_a = statistics.median(t.wall for t in results.up_to_date[(name, "after")])
        print(f"{name:16} {'up to date':12} {fresh_b:8.2f}s {fresh_a:8.2f}s {fresh_a / fresh_b:13.3f}")
        met &= fresh_a <= UP_TO_DATE_GOAL
    print(f"\ngoal: forced rebuild after/before <= {FORCED_GOAL}, up to date <= {UP_TO_DATE_GOAL} s: "
          f"{'met' if met else 'NOT met'}")
    return met


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default=BASE, help="the version to compare with (a git revision of this repository)")
    parser.add_argument("--workdir", type=Path, help="keep the venvs, caches and projects here (default: a temporary directory)")
    args = parser.parse_args(argv)
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="bench-verification-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"workdir {workdir}; base {args.base}; load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs", flush=True)
    try:
        results = measure(workdir, args.base, args.rounds)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report(results)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
