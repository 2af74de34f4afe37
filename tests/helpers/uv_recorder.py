"""A stand-in for uv that records what it was given, then runs the real uv: what the tests that check
the installer's arguments, environment and requirements (credentials only in its environment) read back."""

from __future__ import annotations

import json
import sys
from pathlib import Path

RECORDING_SHIM = """#!{python}
# Stands in front of the real uv: appends what it was given to $LAYER_TEST_UV_RECORD, then runs uv.
import json, os, subprocess, sys

args = sys.argv[1:]
stdin = sys.stdin.read() if "-" in args else None  # `uv pip compile -` reads the requirements there
files = {{}}
for flag in ("-r", "--requirement"):
    if flag in args:
        with open(args[args.index(flag) + 1], encoding="utf-8") as handle:
            files[args[args.index(flag) + 1]] = handle.read()
record = {{"argv": args, "env": {{k: v for k, v in os.environ.items() if k.startswith(("UV_", "PIP_"))}},
          "stdin": stdin, "files": files}}
with open(os.environ["LAYER_TEST_UV_RECORD"], "a", encoding="utf-8") as log:
    log.write(json.dumps(record) + "\\n")
sys.exit(subprocess.run([{uv!r}, *args], input=stdin, text=True).returncode)  # stdout/stderr pass through
"""


def write_uv_recorder(directory: Path, uv: str) -> Path:
    """The shim as an executable ``uv`` in ``directory``, in front of the real ``uv``."""
    shim = directory / "uv"
    shim.write_text(RECORDING_SHIM.format(python=sys.executable, uv=uv))
    shim.chmod(0o755)
    return shim


def read_uv_records(path: Path) -> list:
    """The records the shim appended to ``path``, one per run of uv, in order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
