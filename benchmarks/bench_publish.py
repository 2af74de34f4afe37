"""Benchmark: an unchanged re-publish, end to end, against the AWS emulator (moto's server on 127.0.0.1).

    .venv/bin/python benchmarks/bench_publish.py [--runs N] [--s3] [--workdir DIR]

Set-up (not timed): the test suite's offline wheelhouse, a requirements.txt project built from it
(``fake-a``, ``fake-b``, ``six``, ``fake-native`` for the running Python on x86_64), a moto server
in this process, and one ``lambda-layer publish`` that creates version 1 (with ``--s3``: through a
bucket). No network and no AWS account: boto3 reaches the emulator through ``AWS_ENDPOINT_URL``
with dummy credentials.

Timed, N times (wall clock of the whole subprocess, interpreter start-up and boto3 import
included): ``lambda-layer publish -q`` with nothing changed, so the build's up-to-date check
passes and publish finds the latest version's CodeSha256 equal to the zip's (ListLayerVersions +
GetLayerVersion) and publishes nothing. Each run must print version 1's ARN and leave the layer
with one version. For comparison, the no-op ``lambda-layer build -q`` is timed the same way.
Goal (issue #11): the unchanged re-publish under 1 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.helpers.wheelfactory import build_wheelhouse  # noqa: E402

REGION = "eu-west-1"


def environment(wheelhouse: Path, workdir: Path, endpoint: str) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "UV_", "AWS_", "VIRTUAL_ENV"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse),
        UV_NO_CONFIG="1", UV_OFFLINE="1", UV_FIND_LINKS=str(wheelhouse), UV_CACHE_DIR=str(workdir / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never", LAMBDA_LAYER_CACHE_DIR=str(workdir / "layer-cache"),
        AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(workdir / "absent"),
        AWS_SHARED_CREDENTIALS_FILE=str(workdir / "absent"), AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run(command: List[str], env: Dict[str, str]) -> tuple:
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")
    return elapsed, completed.stdout


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs (median reported)")
    parser.add_argument("--s3", action="store_true", help="publish through an S3 bucket instead of ZipFile")
    parser.add_argument("--workdir", type=Path, help="work directory (default: a new temporary one, removed after)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    workdir.mkdir(parents=True, exist_ok=True)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        wheelhouse = build_wheelhouse(workdir / "wheelhouse") if not (workdir / "wheelhouse").is_dir() else workdir / "wheelhouse"
        project = workdir / "project"
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir()
        version = "%d.%d" % sys.version_info[:2]
        (project / "pyproject.toml").write_text(
            f'[project]\nname = "bench-app"\nversion = "1.0"\n\n[tool.lambda-layer]\npython-version = "{version}"\n'
        )
        (project / "requirements.txt").write_text("fake-a==1.0\nfake-b==1.0\nsix==1.16.0\nfake-native==1.0\n")
        env = environment(wheelhouse, workdir, f"http://{host}:{port}")
        script = str(Path(sys.executable).with_name("lambda-layer"))
        publish = [script, "publish", "--project", str(project), "-q"]
        if args.s3:
            boto3.client("s3", region_name=REGION, endpoint_url=env["AWS_ENDPOINT_URL"], aws_access_key_id="testing",
                         aws_secret_access_key="testing").create_bucket(
                Bucket="bench", CreateBucketConfiguration={"LocationConstraint": REGION})
            publish += ["--s3-bucket", "bench"]

        first, out = run(publish, env)
        arn = out.strip().splitlines()[-1]
        if not arn.endswith(":1"):
            raise SystemExit(f"the first publish printed {out!r}, not version 1's ARN")
        print(f"first publish (build + publish version 1{' through S3' if args.s3 else ''}): {first:.2f} s")

        republish: List[float] = []
        for _ in range(args.runs):
            elapsed, out = run(publish, env)
            if out != arn + "\n":
                raise SystemExit(f"an unchanged re-publish printed {out!r}, expected {arn!r}")
            republish.append(elapsed)
        build: List[float] = [run([script, "build", "--project", str(project), "-q"], env)[0] for _ in range(args.runs)]

        client = boto3.client("lambda", region_name=REGION, endpoint_url=env["AWS_ENDPOINT_URL"],
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        versions = [v["Version"] for v in client.list_layer_versions(LayerName=arn.split(":")[-2])["LayerVersions"]]
        if versions != [1]:
            raise SystemExit(f"re-publishing created versions: {versions}")

        med = statistics.median
        print(f"unchanged re-publish, median of {args.runs}: {med(republish):.3f} s "
              f"(min {min(republish):.3f}, max {max(republish):.3f}); goal < 1 s: {'met' if med(republish) < 1 else 'NOT met'}")
        print(f"no-op build alone,    median of {args.runs}: {med(build):.3f} s "
              f"(publish check adds {med(republish) - med(build):.3f} s)")
        print(f"layer versions after all runs: {versions}")
    finally:
        server.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
