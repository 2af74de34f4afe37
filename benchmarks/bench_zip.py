"""Benchmark write_deterministic_zip against Info-ZIP ``zip -r -9`` and stdlib zipfile.

    .venv/bin/python benchmarks/bench_zip.py [--runs N] [--trees medium,large] [--workdir DIR]

Trees are staged once (with uv, for Lambda's x86_64 Python 3.12) into the work directory and
reused; each tool then zips the same ``python/`` tree ``--runs`` times and the median wall
time is reported. Goal: wall time <= 0.3x and size <= 0.96x of ``zip -r -9``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_core.pack.tree import walk_tree
from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
from shared_core.support.deflate import compression_backend

TREES: Dict[str, Tuple[str, ...]] = {
    "medium": ("requests", "pydantic", "pyyaml", "python-dateutil", "jmespath", "attrs"),
    "large": ("numpy", "pandas", "scipy"),
}
TIME_GOAL = 0.3
SIZE_GOAL = 0.96


def stage(workdir: Path, name: str) -> Path:
    """``workdir/name`` holding ``python/...``, installed once and reused on later runs."""
    tree = workdir / name
    done = tree / ".staged"
    if done.exists():
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    target = tree / "python"
    target.mkdir(parents=True)
    env = dict(os.environ, PIP_CONFIG_FILE="/dev/null", UV_NO_CONFIG="1")
    command = [
        sys.executable, "-m", "uv", "pip", "install", "--quiet",
        "--target", str(target),
        "--python-platform", "x86_64-manylinux_2_17",
        "--python-version", "3.12",
        "--no-compile",
        "--only-binary", ":all:",
        *TREES[name],
    ]
    print(f"staging {name}: {' '.join(TREES[name])}", flush=True)
    subprocess.run(command, check=True, env=env)
    shutil.rmtree(target / "bin", ignore_errors=True)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.name == "__pycache__" and path.is_dir():
            shutil.rmtree(path)
        elif path.name == ".lock" and not path.is_dir():
            path.unlink()
    done.touch()
    return tree


def members_of(tree: Path) -> List[ZipMember]:
    return [ZipMember("python/" + f.relpath, f.source, f.executable) for f in walk_tree(tree / "python")]


def warm_cache(members: List[ZipMember]) -> None:
    """Read every file once so no tool pays for cold disk reads."""
    for member in members:
        member.source.read_bytes()


def run_ours(members: List[ZipMember], out: Path, level: int) -> None:
    write_deterministic_zip(members, out, compression_level=level)


def run_info_zip(tree: Path, out: Path) -> None:
    out.unlink(missing_ok=True)  # zip would otherwise update the existing archive
    subprocess.run(["zip", "-r", "-9", "-q", "-X", str(out), "python"], cwd=tree, check=True)


def run_zipfile(members: List[ZipMember], out: Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in members:
            archive.write(member.source, member.arcname)


def measure(action: Callable[[], None], out: Path, runs: int) -> Tuple[float, int]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out.stat().st_size


def bench_tree(workdir: Path, name: str, runs: int) -> bool:
    tree = stage(workdir, name)
    members = members_of(tree)
    unzipped = sum(m.source.stat().st_size for m in members)
    warm_cache(members)
    outdir = workdir / "out"
    outdir.mkdir(exist_ok=True)

    results: List[Tuple[str, float, int]] = []
    zip_out = outdir / f"{name}-info-zip.zip"
    results.append(("zip -r -9 -X", *measure(lambda: run_info_zip(tree, zip_out), zip_out, runs)))
    for level in (9, 10, 12):
        out = outdir / f"{name}-ours-{level}.zip"
        results.append((f"ours level {level}", *measure(lambda out=out, level=level: run_ours(members, out, level), out, runs)))
    zf_out = outdir / f"{name}-zipfile.zip"
    results.append(("zipfile -9 (seq)", *measure(lambda: run_zipfile(members, zf_out), zf_out, runs)))

    base_time, base_size = results[0][1], results[0][2]
    print(f"\ntree {name}: {len(members)} files, {unzipped / 1e6:.1f} MB unzipped, median of {runs} runs")
    print(f"{'tool':<18} {'median s':>9} {'bytes':>12} {'time/zip9':>10} {'size/zip9':>10}  goal")
    met_any = False
    for tool, seconds, size in results:
        time_ratio, size_ratio = seconds / base_time, size / base_size
        goal = ""
        if tool.startswith("ours"):
            met = time_ratio <= TIME_GOAL and size_ratio <= SIZE_GOAL
            met_any = met_any or met
            goal = "met" if met else "missed " + ", ".join(
                what for what, ok in (("time", time_ratio <= TIME_GOAL), ("size", size_ratio <= SIZE_GOAL)) if not ok
            )
        print(f"{tool:<18} {seconds:>9.3f} {size:>12,} {time_ratio:>9.2f}x {size_ratio:>9.4f}x  {goal}")
    return met_any


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trees", default="medium,large", help="comma-separated: " + ",".join(TREES))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/lambda-layer-bench"))
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.trees.split(",") if name.strip()]
    unknown = [name for name in names if name not in TREES]
    if unknown:
        parser.error(f"unknown tree(s) {', '.join(unknown)}; choose from {', '.join(TREES)}")
    if not shutil.which("zip"):
        parser.error("Info-ZIP `zip` is not installed")
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: nproc={os.cpu_count()}, python {sys.version.split()[0]}, backend={compression_backend()}, "
          f"goal: time <= {TIME_GOAL}x and size <= {SIZE_GOAL}x of zip -r -9")
    for name in names:
        bench_tree(args.workdir, name, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
