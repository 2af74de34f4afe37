"""Four targets in one command against four single-target commands, side by side (issue 20).

    .venv/bin/python benchmarks/bench_targets.py [--rounds N] [--workdir DIR]

The project: a requirements file without hashes (requests, pydantic, PyYAML, orjson, python-dateutil:
pure-Python and native wheels), so every target is resolved for itself by ``uv pip compile``
against PyPI. The targets: python3.12 and python3.13 on x86_64 and arm64.

Each round, each way starts cold: a fresh copy of the project, an empty uv cache and an empty
``LAMBDA_LAYER_CACHE_DIR`` (bytecode and zip members), shared by all the builds of that way:

- one command: ``lambda-layer build --python 3.12,3.13 --arch x86_64,arm64``;
- four commands, one after another: ``lambda-layer build --python X --arch Y`` with ``--output``
  naming the same per-target path the one command uses (so both write the same four zips).

Measured: wall and CPU seconds (user + system of the process tree) of each way, medians over the
rounds (the two ways interleaved, the order alternating), their ratio, and whether the four zips
are byte-identical between the ways. ``lambda-layer`` is this checkout's (``.venv``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOL = REPO_ROOT / ".venv" / "bin" / "lambda-layer"
REQUIREMENTS = "requests\npydantic\nPyYAML\norjson\npython-dateutil\n"
PYTHONS = ("3.12", "3.13")
ARCHITECTURES = ("x86_64", "arm64")
TIMEOUT = 1800
SCRUBBED = ("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX", "LAMBDA_LAYER_", "SOURCE_DATE_EPOCH")


class BenchError(RuntimeError):
    """A build failed; the message shows its output."""


@dataclass
class Timing:
    wall: float
    cpu: float
    digests: Dict[str, str]


def environment(caches: Path) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED)}
    env.update(UV_NO_CONFIG="1", PIP_CONFIG_FILE="/dev/null", UV_PYTHON_DOWNLOADS="never",
               UV_CACHE_DIR=str(caches / "uv"), LAMBDA_LAYER_CACHE_DIR=str(caches / "layer"))
    return env


def project(workdir: Path, name: str) -> Path:
    root = workdir / name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench-targets"\nversion = "1"\nrequires-python = ">=3.12"\n')
    (root / "requirements.txt").write_text(REQUIREMENTS)
    return root


def run(args: List[str], env: Dict[str, str]) -> None:
    completed = subprocess.run([str(TOOL), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=TIMEOUT)
    if completed.returncode != 0:
        raise BenchError(f"lambda-layer {' '.join(args)} failed:\n{completed.stdout}")


def timed(way: str, workdir: Path) -> Timing:
    root = project(workdir, way)
    caches = workdir / f"caches-{way}"
    shutil.rmtree(caches, ignore_errors=True)
    env = environment(caches)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    if way == "one command":
        run(["build", "--project", str(root), "--tool", "pip", "--python", ",".join(PYTHONS), "--arch",
             ",".join(ARCHITECTURES)], env)
    else:
        for python in PYTHONS:
            for architecture in ARCHITECTURES:
                name = f"py{python.replace('.', '')}-{architecture}"
                run(["build", "--project", str(root), "--tool", "pip", "--python", python, "--arch", architecture,
                     "--output", f"build/lambda/layer/{name}/layer.zip"], env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    digests = {path.parent.name: hashlib.sha256(path.read_bytes()).hexdigest()
               for path in sorted((root / "build/lambda/layer").glob("*/layer.zip"))}
    return Timing(wall, cpu, digests)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep the projects and caches here (default: a temporary directory)")
    args = parser.parse_args(argv)
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="bench-targets-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    ways = ("one command", "four commands")
    print(f"workdir {workdir}; load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs", flush=True)
    results: Dict[str, List[Timing]] = {way: [] for way in ways}
    try:
        for number in range(args.rounds):
            for way in (ways if number % 2 == 0 else ways[::-1]):
                results[way].append(timed(way, workdir))
            print(f"round {number + 1} done, load {os.getloadavg()[0]:.2f}", flush=True)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    one, four = results["one command"], results["four commands"]
    print(f"\n{'way':14} {'wall':>8} {'CPU':>8}   (medians of {args.rounds}, cold caches each time)")
    for way in ways:
        print(f"{way:14} {statistics.median(t.wall for t in results[way]):7.2f}s "
              f"{statistics.median(t.cpu for t in results[way]):7.2f}s")
    wall_ratio = statistics.median(t.wall for t in one) / statistics.median(t.wall for t in four)
    cpu_ratio = statistics.median(t.cpu for t in one) / statistics.median(t.cpu for t in four)
    identical = all(a.digests == b.digests and len(a.digests) == 4 for a, b in zip(one, four))
    print(f"one/four: wall {wall_ratio:.3f}, CPU {cpu_ratio:.3f}; time saved {100 * (1 - wall_ratio):.0f}%")
    print(f"the four zips byte-identical between the ways: {'yes' if identical else 'NO'}")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
