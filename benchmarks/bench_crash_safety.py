"""Crash and race safety: SIGKILL builds at random points, run builds in pairs, check what is left.

    .venv/bin/python benchmarks/bench_crash_safety.py [--cycles N] [--pairs N] [--seed S] [--workdir DIR]

Offline: the wheels come from a wheelhouse written by ``tests/helpers/wheelfactory.py`` (the test suite's
fakes, plus one distribution of 400 modules so a build spends real time installing, compiling and
zipping), with uv's and our bytecode cache in the work directory and no user configuration.

1. A reference build of the project (``lambda-layer build``); its zip's bytes are what every
   later build must produce (the builds are deterministic).
2. ``--cycles`` kill/restart cycles: ``lambda-layer build --force`` is started and SIGKILLed (with its
   whole process group: uv, the compiler) after a random delay between 0 and 1.2x the reference
   build's duration; what the kill left is counted, the zip on disk is checked; then a normal build
   runs to the end and its zip, exit status, stderr and the build folder are checked.
3. ``--pairs`` concurrent pairs: two ``lambda-layer build --force`` start together on the same
   project; both must succeed (one waits for the other), the zip must be the reference's.

A layer is valid when ``zipfile.testzip()`` passes and its bytes equal the reference's. Leftovers
are ``.staging-*``, ``.layer-*.zip.tmp`` and ``.fingerprint-*.tmp`` in the build folder, and
``*.tmp`` files in the bytecode cache.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.helpers.wheelfactory import build_wheelhouse, make_wheel, module  # noqa: E402

REQUIREMENTS = "fake-a==1.0\nfake-b==1.0\nsix==1.16.0\nPyYAML==6.0.2\nfake-native==1.0\nfake-with-tests==1.0\nfake-bulk==1.0\n"
BUILD_TIMEOUT = 300


@dataclass
class Tally:
    attempted: int = 0
    valid: int = 0
    checked: int = 0
    failures: List[str] = field(default_factory=list)
    leftovers_after_kill: int = 0
    leftovers_after_next_build: int = 0
    cache_leftovers: int = 0
    waited: int = 0
    tracebacks: int = 0


def environment(workdir: Path, wheelhouse: Path) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PIP_", "UV_", "VIRTUAL_ENV", "PYTHONPATH", "SOURCE_DATE_EPOCH", "LAMBDA_LAYER_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", UV_OFFLINE="1", UV_FIND_LINKS=str(wheelhouse),
        UV_CACHE_DIR=str(workdir / "uv-cache"), UV_PYTHON_DOWNLOADS="never",
        LAMBDA_LAYER_CACHE_DIR=str(workdir / "layer-cache"),
    )
    return env


def make_project(workdir: Path) -> Path:
    wheelhouse = build_wheelhouse(workdir / "wheelhouse")
    bulk = {f"fake_bulk/m{i:03d}.py": module("".join(f"def f{j}(x):\n    return x * {j}\n" for j in range(40)))
            for i in range(400)}
    make_wheel(wheelhouse, "fake-bulk", "1.0", {"fake_bulk/__init__.py": module(), **bulk})
    project = workdir / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(REQUIREMENTS)
    return project


def command(project: Path, *args: str) -> List[str]:
    return [sys.executable, "-c", "import sys; from shared_core.cli import main; sys.exit(main())",
            "build", "--project", str(project), "--python", "%d.%d" % sys.version_info[:2], *args]


def start(project: Path, env: Dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(command(project, *args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def leftovers(build_dir: Path) -> List[str]:
    if not build_dir.is_dir():
        return []
    return sorted(path.name for path in build_dir.iterdir()
                  if path.name.startswith(".staging-") or (path.name.startswith((".layer-", ".fingerprint-"))
                                                           and path.name.endswith(".tmp")))


def cache_leftovers(workdir: Path) -> int:
    return sum(1 for _ in (workdir / "layer-cache").rglob("*.tmp"))


def valid(layer: Path, reference: bytes) -> Optional[str]:
    """None when the zip passes testzip and equals the reference bytes, else why not."""
    if not layer.is_file():
        return "no layer.zip"
    try:
        with zipfile.ZipFile(layer) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile as error:
        return f"not a zip ({error})"
    if bad is not None:
        return f"bad member {bad}"
    return None if layer.read_bytes() == reference else "bytes differ from the reference"


def finish(process: subprocess.Popen, tally: Tally, what: str) -> subprocess.CompletedProcess:
    out, err = process.communicate(timeout=BUILD_TIMEOUT)
    tally.attempted += 1
    if "Traceback" in err:
        tally.tracebacks += 1
    if process.returncode != 0:
        tally.failures.append(f"{what}: exit {process.returncode}: {err.strip()[-300:]}")
    if "Waiting for another build" in out:
        tally.waited += 1
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def check(layer: Path, reference: bytes, tally: Tally, what: str) -> None:
    tally.checked += 1
    problem = valid(layer, reference)
    if problem is None:
        tally.valid += 1
    else:
        tally.failures.append(f"{what}: {problem}")


def kill_cycles(project: Path, env: Dict[str, str], reference: bytes, duration: float, cycles: int,
                rng: random.Random, workdir: Path) -> Tally:
    tally = Tally()
    build_dir = project / "build/lambda/layer"
    layer = build_dir / "layer.zip"
    for cycle in range(cycles):
        delay = rng.uniform(0, duration * 1.2)
        process = start(project, env, "--force")
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        tally.attempted += 1
        tally.leftovers_after_kill += len(leftovers(build_dir))
        check(layer, reference, tally, f"cycle {cycle}: after SIGKILL at {delay:.2f} s")
        finish(start(project, env), tally, f"cycle {cycle}: restart")
        tally.leftovers_after_next_build += len(leftovers(build_dir))
        check(layer, reference, tally, f"cycle {cycle}: after restart")
    tally.cache_leftovers = cache_leftovers(workdir)
    return tally


def concurrent_pairs(project: Path, env: Dict[str, str], reference: bytes, pairs: int) -> Tally:
    tally = Tally()
    build_dir = project / "build/lambda/layer"
    for pair in range(pairs):
        first, second = start(project, env, "--force"), start(project, env, "--force")
        finish(first, tally, f"pair {pair}: first")
        finish(second, tally, f"pair {pair}: second")
        tally.leftovers_after_next_build += len(leftovers(build_dir))
        check(build_dir / "layer.zip", reference, tally, f"pair {pair}")
    return tally


def report(kills: Tally, pairs: Tally, cycles: int, pair_count: int, duration: float) -> None:
    print(f"reference build: {duration:.2f} s")
    rows = [
        ("", "kill/restart", "concurrent pairs"),
        ("runs", str(cycles), str(pair_count)),
        ("builds attempted", str(kills.attempted), str(pairs.attempted)),
        ("layers valid", f"{kills.valid}/{kills.checked}", f"{pairs.valid}/{pairs.checked}"),
        ("leftovers after a kill", str(kills.leftovers_after_kill), "-"),
        ("leftovers after the next build", str(kills.leftovers_after_next_build), str(pairs.leftovers_after_next_build)),
        ("bytecode-cache temp files", str(kills.cache_leftovers), "-"),
        ("second build waited", "-", str(pairs.waited)),
        ("tracebacks", str(kills.tracebacks), str(pairs.tracebacks)),
        ("failed builds", str(len(kills.failures)), str(len(pairs.failures))),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
    for failure in kills.failures + pairs.failures:
        print(f"  ! {failure}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=10, help="kill/restart cycles")
    parser.add_argument("--pairs", type=int, default=10, help="concurrent pairs")
    parser.add_argument("--seed", type=int, default=10, help="random seed for the kill delays")
    parser.add_argument("--workdir", type=Path, default=None, help="work directory (default: a new temporary one)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lambda-layer-crash-"))
    if workdir.exists() and args.workdir:
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    project = make_project(workdir)
    env = environment(workdir, workdir / "wheelhouse")

    reference_tally = Tally()
    started = time.monotonic()
    finish(start(project, env), reference_tally, "reference")
    finish(start(project, env, "--force"), reference_tally, "reference (warm)")
    duration = (time.monotonic() - started) / 2
    if reference_tally.failures:
        print("\n".join(reference_tally.failures))
        return 1
    reference = (project / "build/lambda/layer/layer.zip").read_bytes()

    kills = kill_cycles(project, env, reference, duration, args.cycles, random.Random(args.seed), workdir)
    pairs = concurrent_pairs(project, env, reference, args.pairs)
    report(kills, pairs, args.cycles, args.pairs, duration)
    ok = not kills.failures and not pairs.failures and not kills.tracebacks and not pairs.tracebacks
    ok = ok and kills.leftovers_after_next_build == 0 and pairs.leftovers_after_next_build == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
