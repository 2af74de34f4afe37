"""Big-layer benchmark: pandas + pyarrow + requests for Lambda python3.12 x86_64, built by ``lambda-layer build``.

    .venv/bin/python benchmarks/bench_big_layer.py [--runs N] [--workdir DIR]

Needs PyPI (once, to fill the benchmark's own uv cache) and a Python 3.12 interpreter for the
bytecode and the import check (this one, ``python3.12`` on PATH or under pyenv).

Set-up (not timed): ``uv pip compile`` pins ``pandas pyarrow requests`` for the target into a
frozen ``requirements.txt`` (A), and again with ``requests`` held below A's version (B: the
"one pin changed" lock). The project sets ``drop-package-tests = true`` (without it the layer is
over Lambda's limit). One untimed build fills the uv cache with every wheel of A and B.

Measured, each a whole ``lambda-layer build`` subprocess (interpreter start-up included), with
``UV_CACHE_DIR`` warm and ``LAMBDA_LAYER_CACHE_DIR`` ours, N rounds, medians reported:

- cold build: our cache directory (bytecode and compressed members) and ``build/`` removed first;
- forced rebuild: ``--force`` right after, nothing changed; its zip must be byte-identical to cold's;
- one pin changed: ``requirements.txt`` switched to B (requests one version down), then back to A,
  no ``--force`` (the inputs changed); the switch back must give cold's bytes again;
- sizes: the layer with ``drop-package-tests`` and without it (``--allow-oversize``), unzipped
  (sum of member sizes) and zipped.

Each build's stage lines (resolve, install, compile, import check, zip) are kept, so the phase
times of the median run are printed too. Goal (issue 13): forced rebuild <= 0.35x of the cold
build, byte-identical; judged on the median of each round's forced/cold ratio, since a forced build
and the cold build just before it see about the same load. The load average is printed at start,
after each round and at the end; run it when nothing else is running.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

PYTHON = "3.12"
ARCH = "x86_64"
PLATFORM = "x86_64-manylinux_2_34"
DEPENDENCIES = ("pandas", "pyarrow", "requests")
FORCED_GOAL = 0.35
TIMEOUT = 1800
BIN = Path(sys.executable).parent
SCRUBBED = ("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX", "LAMBDA_LAYER_", "SOURCE_DATE_EPOCH")
STAGE = re.compile(r"^(resolve|install|compile|import check|zip): .*\((\d+\.\d+) s\)$")


class BenchError(RuntimeError):
    """A set-up or build step failed; the message shows its output."""


@dataclass
class Build:
    seconds: float
    sha256: str
    stages: Dict[str, float]
    output: str


@dataclass
class Results:
    cold: List[Build] = field(default_factory=list)
    forced: List[Build] = field(default_factory=list)
    pin_changed: List[Build] = field(default_factory=list)
    pin_restored: List[Build] = field(default_factory=list)
    sizes: Dict[str, Tuple[int, int, int]] = field(default_factory=dict)  # label -> (files, unzipped, zipped)


def environment(workdir: Path) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED)}
    env.update(
        UV_NO_CONFIG="1", PIP_CONFIG_FILE="/dev/null", UV_PYTHON_DOWNLOADS="never",
        UV_CACHE_DIR=str(workdir / "uv-cache"), LAMBDA_LAYER_CACHE_DIR=str(workdir / "layer-cache"),
    )
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(command: Sequence[str], env: Dict[str, str], what: str) -> str:
    completed = subprocess.run(list(command), env=env, capture_output=True, text=True, timeout=TIMEOUT)
    if completed.returncode != 0:
        raise BenchError(f"{what} failed (exit {completed.returncode}):\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def compile_pins(workdir: Path, env: Dict[str, str], extra: Sequence[str] = ()) -> str:
    source = workdir / "requirements.in"
    source.write_text("\n".join([*DEPENDENCIES, *extra]) + "\n")
    return run(
        [str(BIN / "uv"), "pip", "compile", str(source), "--python-version", PYTHON, "--python-platform", PLATFORM,
         "--no-header", "--no-annotate", "--quiet"], env, "uv pip compile",
    )


def pinned_version(requirements: str, name: str) -> str:
    match = re.search(rf"^{name}==(\S+)$", requirements, re.M)
    if not match:
        raise BenchError(f"{name} is not pinned in:\n{requirements}")
    return match.group(1)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(project: Path, env: Dict[str, str], *args: str) -> Build:
    command = [str(BIN / "lambda-layer"), "build", "--project", str(project), "--python", PYTHON, "--arch", ARCH, *args]
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed after {seconds:.1f} s:\n{completed.stdout}")
    stages = {m.group(1): float(m.group(2)) for m in map(STAGE.match, completed.stdout.splitlines()) if m}
    return Build(seconds, sha256(project / "build/lambda/layer/layer.zip"), stages, completed.stdout)


def layer_size(layer: Path) -> Tuple[int, int, int]:
    with zipfile.ZipFile(layer) as archive:
        infos = archive.infolist()
    return len(infos), sum(info.file_size for info in infos), layer.stat().st_size


def round_ratio(builds: List[Build], cold: List[Build]) -> float:
    """The median of build/cold within each round: a build and the cold build it follows see about
    the same load, which drifts on a shared machine over the minutes a run takes."""
    return statistics.median(build.seconds / first.seconds for build, first in zip(builds, cold))


def median_build(builds: List[Build]) -> Build:
    return sorted(builds, key=lambda item: item.seconds)[len(builds) // 2]


def measure(workdir: Path, runs: int) -> Results:
    env = environment(workdir)
    project = workdir / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text("[tool.lambda-layer]\ndrop-package-tests = true\n")
    pins_a = compile_pins(workdir, env)
    requests_a = pinned_version(pins_a, "requests")
    pins_b = compile_pins(workdir, env, [f"requests<{requests_a}"])
    changed = sorted(set(pins_a.splitlines()) ^ set(pins_b.splitlines()))
    print(f"pins A: {len(pins_a.splitlines())} lines; B differs in: {', '.join(changed)}")
    requirements = project / "requirements.txt"

    # untimed: every wheel of A and B into the uv cache
    for pins in (pins_b, pins_a):
        requirements.write_text(pins)
        build(project, env, "--force", "--no-compile", "--compression-level", "0")

    results = Results()
    for round_number in range(1, runs + 1):
        requirements.write_text(pins_a)
        shutil.rmtree(workdir / "layer-cache", ignore_errors=True)
        shutil.rmtree(project / "build", ignore_errors=True)
        cold = build(project, env)
        forced = build(project, env, "--force")
        requirements.write_text(pins_b)
        pin_changed = build(project, env)
        requirements.write_text(pins_a)
        pin_restored = build(project, env)
        if not forced.sha256 == pin_restored.sha256 == cold.sha256:
            raise BenchError(f"round {round_number}: forced/restored zips differ from the cold build's")
        results.cold.append(cold)
        results.forced.append(forced)
        results.pin_changed.append(pin_changed)
        results.pin_restored.append(pin_restored)
        print(f"round {round_number}: cold {cold.seconds:.2f} s, forced {forced.seconds:.2f} s, "
              f"pin changed {pin_changed.seconds:.2f} s, pin restored {pin_restored.seconds:.2f} s, "
              f"load {os.getloadavg()[0]:.2f}", flush=True)

    layer = project / "build/lambda/layer/layer.zip"
    results.sizes["with drop-package-tests"] = layer_size(layer)
    (project / "pyproject.toml").write_text("")
    build(project, env, "--force", "--allow-oversize")
    results.sizes["without (allow-oversize)"] = layer_size(layer)
    return results


def report(results: Results) -> None:
    cold = statistics.median(b.seconds for b in results.cold)
    rows = [
        ("cold build", results.cold),
        ("forced rebuild", results.forced),
        ("one pin changed (requests down)", results.pin_changed),
        ("one pin changed (back up)", results.pin_restored),
    ]
    print()
    print(f"{'build':34} {'median s':>9} {'x cold':>7} {'ratio':>7}   runs (s)")
    for label, builds in rows:
        median = statistics.median(b.seconds for b in builds)
        runs = ", ".join(f"{b.seconds:.2f}" for b in builds)
        print(f"{label:34} {median:9.2f} {median / cold:7.2f} {round_ratio(builds, results.cold):7.2f}   {runs}")
    print("(x cold: median over median cold; ratio: median of each round's build over that round's cold build)")
    print()
    print("stage seconds of the median run:")
    for label, builds in rows:
        stages = median_build(builds).stages
        print(f"  {label:32} " + ", ".join(f"{name} {seconds:.2f}" for name, seconds in stages.items()))
    print()
    (files_with, with_drop, zipped_with), (files_without, without, zipped_without) = (
        results.sizes["with drop-package-tests"], results.sizes["without (allow-oversize)"])
    print(f"layer with drop-package-tests:    {files_with} files, {with_drop:,} bytes unzipped, {zipped_with:,} zipped")
    print(f"layer without:                    {files_without} files, {without:,} bytes unzipped, {zipped_without:,} zipped")
    print(f"size with / without:              {with_drop / without:.3f} ({without - with_drop:,} bytes saved; "
          f"limit 262,144,000: {'fits' if with_drop <= 262_144_000 else 'over'} / {'fits' if without <= 262_144_000 else 'over'})")
    ratio = round_ratio(results.forced, results.cold)
    verdict = "met" if ratio <= FORCED_GOAL else "NOT met"
    print(f"goal: forced rebuild <= {FORCED_GOAL}x cold, byte-identical: {ratio:.2f}x (median of the rounds), "
          f"identical in every round ({verdict})")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep the uv cache and project here (default: a temporary directory)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-big-layer-"))
    print(f"workdir {workdir}; load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs", flush=True)
    try:
        results = measure(workdir.resolve(), args.runs)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report(results)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
