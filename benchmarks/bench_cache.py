"""Benchmark: the shared build cache on S3, a cold build on an empty machine against a cache hit, for
the pandas + pyarrow layer (Lambda python3.12 x86_64), side by side in one run.

    .venv/bin/python benchmarks/bench_cache.py [--runs N] [--workdir DIR]

Needs PyPI (every cold build downloads every wheel: that is what an empty CI runner does) and a
Python 3.12 interpreter for the bytecode (this one, ``python3.12`` on PATH or under pyenv). S3 is
moto's server, started in this process on 127.0.0.1; the builds reach it through
``AWS_ENDPOINT_URL`` with dummy credentials.

Set-up (not timed): ``uv pip compile`` pins ``pandas pyarrow`` for the target into a frozen
``requirements.txt``; the project sets ``drop-package-tests = true``. Each round, measured as a whole
``lambda-layer build`` subprocess (interpreter start-up included), every machine being a fresh
copy of the project at its own path with its own empty HOME, uv cache and our cache directory:

- cold, no cache: what a runner without the shared cache does every time;
- cold, cache miss: the same with ``--cache s3://bench-cache/round-N``: it builds, then stores
  the zip and its manifest in the bucket;
- cache hit: another empty machine with the same ``--cache``, its index URL pointing at a closed
  port (nothing can be resolved or downloaded from PyPI): it downloads the zip, verifies it and writes
  it; its zip must be byte-identical to the cold builds';
- download alone: a Python subprocess that imports boto3 and downloads the same object, for the
  floor a hit is measured against.

Goal (issue 21): the hit costs little more than the download (a few tenths of a second plus the
transfer), against the cold build's ~10 s and more. Medians of N rounds are printed.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

# The big layer's benchmark, beside this script: the same target, errors and subprocess runs.
from bench_big_layer import ARCH, BIN, PLATFORM, PYTHON, BenchError, run

DEPENDENCIES = ("pandas", "pyarrow")
BUCKET = "bench-cache"
REGION = "eu-west-1"
SCRUBBED = ("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX", "LAMBDA_LAYER_", "SOURCE_DATE_EPOCH", "AWS_")
HIT = re.compile(r"^cache: hit, \S+ \((.+?) in ([0-9.]+) s, SHA-256 verified\)", re.M)
DOWNLOAD = """
import sys, boto3
s3 = boto3.client("s3")
with open(sys.argv[3], "wb") as handle:
    s3.download_fileobj(sys.argv[1], sys.argv[2], handle)
"""


@dataclass
class Round:
    cold: float
    miss: float
    hit: float
    download: float
    hit_transfer: float
    zipped: int
    same_bytes: bool


@dataclass
class Results:
    rounds: List[Round] = field(default_factory=list)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def machine_env(base: Dict[str, str], machine: Path) -> Dict[str, str]:
    """A fresh machine: its own empty HOME, uv cache and our cache directory."""
    for name in ("home", "uv-cache", "layer-cache"):
        (machine / name).mkdir(parents=True)
    return dict(base, HOME=str(machine / "home"), UV_CACHE_DIR=str(machine / "uv-cache"),
                LAMBDA_LAYER_CACHE_DIR=str(machine / "layer-cache"))


def base_env(endpoint: str) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED)}
    env.update(UV_NO_CONFIG="1", PIP_CONFIG_FILE="/dev/null", UV_PYTHON_DOWNLOADS="never",
               AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               AWS_EC2_METADATA_DISABLED="true")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def timed(command: Sequence[str], env: Dict[str, str], what: str) -> tuple:
    started = time.perf_counter()
    output = run(command, env, what)
    return time.perf_counter() - started, output


def build(source: Path, machine: Path, env: Dict[str, str], *args: str) -> tuple:
    """A fresh copy of the project on ``machine``, built once: (seconds, stdout, zip bytes)."""
    project = machine / "project"
    shutil.copytree(source, project)
    command = [str(BIN / "lambda-layer"), "build", "--project", str(project), "--python", PYTHON, "--arch", ARCH, *args]
    seconds, output = timed(command, env, f"build on {machine.name}")
    return seconds, output, (project / "build/lambda/layer/layer.zip").read_bytes()


def measure(workdir: Path, runs: int, endpoint: str) -> Results:
    env = base_env(endpoint)
    source = workdir / "source"
    source.mkdir()
    (source / "pyproject.toml").write_text("[tool.lambda-layer]\ndrop-package-tests = true\n")
    requirements = source / "requirements.in"
    requirements.write_text("\n".join(DEPENDENCIES) + "\n")
    pins = run([str(BIN / "uv"), "pip", "compile", str(requirements), "--python-version", PYTHON, "--python-platform",
                PLATFORM, "--no-header", "--no-annotate", "--quiet"], machine_env(env, workdir / "pins"), "uv pip compile")
    requirements.unlink()
    (source / "requirements.txt").write_text(pins)
    print(f"pins: {', '.join(pins.split())}", flush=True)

    results = Results()
    for number in range(1, runs + 1):
        cache = f"s3://{BUCKET}/round-{number}"
        machines = {name: workdir / f"round-{number}" / name for name in ("cold", "miss", "hit", "download")}
        cold, _, cold_zip = build(source, machines["cold"], machine_env(env, machines["cold"]))
        miss, miss_out, miss_zip = build(source, machines["miss"], machine_env(env, machines["miss"]), "--cache", cache)
        if "cache: stored s3://" not in miss_out:
            raise BenchError(f"the cache-miss build stored nothing:\n{miss_out}")
        nowhere = f"http://127.0.0.1:{closed_port()}/simple"
        hit_env = dict(machine_env(env, machines["hit"]), UV_INDEX_URL=nowhere, UV_DEFAULT_INDEX=nowhere,
                       PIP_INDEX_URL=nowhere)
        hit, hit_out, hit_zip = build(source, machines["hit"], hit_env, "--cache", cache)
        found = HIT.search(hit_out)
        if found is None:
            raise BenchError(f"the third build was not a cache hit:\n{hit_out}")
        key = re.search(rf"s3://{BUCKET}/(\S+\.zip)", found.group(0)).group(1)
        machines["download"].mkdir(parents=True)
        download, _ = timed([sys.executable, "-c", DOWNLOAD, BUCKET, key, str(machines["download"] / "layer.zip")],
                            env, "download alone")
        same = hashlib.sha256(cold_zip).digest() == hashlib.sha256(miss_zip).digest() == hashlib.sha256(hit_zip).digest()
        results.rounds.append(Round(cold, miss, hit, download, float(found.group(2)), len(hit_zip), same))
        print(f"round {number}: cold {cold:.2f} s, cold+store {miss:.2f} s, hit {hit:.2f} s (transfer "
              f"{float(found.group(2)):.2f} s), download alone {download:.2f} s, {len(hit_zip):,} bytes, "
              f"byte-identical: {same}; load {os.getloadavg()[0]:.2f}", flush=True)
        shutil.rmtree(workdir / f"round-{number}", ignore_errors=True)
    return results


def report(results: Results) -> None:
    rounds = results.rounds

    def median(values: List[float]) -> float:
        return statistics.median(values)

    cold = median([r.cold for r in rounds])
    rows = [("cold build, no cache (empty machine, PyPI)", [r.cold for r in rounds]),
            ("cold build, cache miss + store", [r.miss for r in rounds]),
            ("cache hit (empty machine, no index)", [r.hit for r in rounds]),
            ("download alone (python + boto3)", [r.download for r in rounds])]
    print()
    print(f"{'':44} {'median s':>9} {'x cold':>7}   runs (s)")
    for label, values in rows:
        print(f"{label:44} {median(values):9.2f} {median(values) / cold:7.3f}   {', '.join(f'{v:.2f}' for v in values)}")
    hit, download = median([r.hit for r in rounds]), median([r.download for r in rounds])
    print(f"\nzip: {rounds[0].zipped:,} bytes; every round byte-identical: {all(r.same_bytes for r in rounds)}")
    print(f"hit over download alone: {hit - download:+.2f} s (the hit's own transfer and verification: "
          f"{median([r.hit_transfer for r in rounds]):.2f} s)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="work here (default: a temporary directory, removed after)")
    args = parser.parse_args(argv)
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-cache-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"workdir {workdir}; S3: moto on {endpoint}; load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs",
          flush=True)
    try:
        report(measure(workdir.resolve(), args.runs, endpoint))
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
