"""shared_core.pipeline.lock: the build lock's timeout, and the leftovers of a killed writer that the next build removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from shared_core.errors import ConfigError
from shared_core.pipeline.lock import lock_timeout
from tests.helpers.paths import REPO_ROOT

#: A build of ``folder`` (a zip of its a.py, then its manifest, then the zip's fingerprint) killed by
#: SIGKILL, so that no clean-up runs, just before the rename of the file ``sys.argv[1]`` names; in a
#: process of its own.
_KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from shared_core.pipeline.fingerprint import write_fingerprint
from shared_core.pack.manifest import write_manifest
from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
from tests.helpers.manifests import sample_manifest
folder = Path(sys.argv[2])
def killed(*args):
    os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[1] == "zip":
    os.replace = killed
write_deterministic_zip([ZipMember("python/a.py", folder / "a.py", False)], folder / "layer.zip", workers=1)
if sys.argv[1] == "manifest":
    os.replace = killed
write_manifest(folder / "layer.zip", sample_manifest("2" * 64))
os.replace = killed
write_fingerprint(folder / "layer.zip", {"a": 2}, "2" * 64, "2" * 64)
"""


@pytest.mark.parametrize("writer", ["zip", "manifest", "fingerprint"])
def test_what_a_writer_killed_mid_write_leaves_is_what_the_next_build_removes(tmp_path, writer):
    """The temporary names the writers use and the patterns ``remove_leftovers`` cleans must agree."""
    from shared_core.pack.manifest import write_manifest
    from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
    from shared_core.pipeline.fingerprint import write_fingerprint
    from shared_core.pipeline.lock import remove_leftovers
    from tests.helpers.manifests import sample_manifest

    output_dir = tmp_path / "out"
    output_dir.mkdir()
    (output_dir / "a.py").write_text("x = 1\n")
    # the previous build, complete
    write_deterministic_zip([ZipMember("python/a.py", output_dir / "a.py", False)], output_dir / "layer.zip")
    write_fingerprint(output_dir / "layer.zip", {"a": 1}, "1" * 64, write_manifest(output_dir / "layer.zip", sample_manifest()))
    before = {path: path.read_bytes() for path in output_dir.iterdir()}
    (output_dir / "a.py").write_text("x = 2\n")
    # the checkout (or mutmut's copy of it), so the child runs the code under test
    checkout = str(REPO_ROOT)
    killed = subprocess.run([sys.executable, "-c", _KILLED_WRITER, writer, str(output_dir), checkout],
                            env={**os.environ, "TMPDIR": str(tmp_path)}, check=False)
    assert killed.returncode == -signal.SIGKILL
    left = sorted(set(output_dir.iterdir()) - set(before))
    assert len(left) == 1 and left[0].read_bytes() != b""
    assert remove_leftovers(tmp_path / "build", output_dir).paths == tuple(left)
    assert sorted(output_dir.iterdir()) == sorted(before)
    interrupted = output_dir / {"zip": "layer.zip", "manifest": "layer.zip.json",
                                "fingerprint": "layer.zip.fingerprint.json"}[writer]
    assert interrupted.read_bytes() == before[interrupted]  # the previous one, whole


def test_what_a_killed_ignore_file_write_leaves_is_what_the_next_build_removes(tmp_path):
    from shared_core.pipeline.lock import remove_leftovers

    build_dir = tmp_path / "build"
    script = ("import os, signal, sys; sys.path.insert(0, sys.argv[2]); "
              "os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL); "
              "from pathlib import Path; from shared_core.pipeline.outputs import ensure_ignore_file; ensure_ignore_file(Path(sys.argv[1]))")
    killed = subprocess.run([sys.executable, "-c", script, str(build_dir), str(REPO_ROOT)],
                            check=False)
    assert killed.returncode == -signal.SIGKILL
    left = sorted(build_dir.iterdir())
    assert len(left) == 1
    assert left[0].read_bytes() == b"# Created by lambda-layer-build: everything here is build output.\n*\n"
    assert remove_leftovers(build_dir, tmp_path / "out").paths == tuple(left)
    assert list(build_dir.iterdir()) == []


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "NaN", "inf", "-inf", "1e400", "-0.5"])
def test_lock_timeout_must_be_finite_seconds(monkeypatch, value):
    """``nan`` and ``inf`` would wait forever: nan never reaches a deadline, inf is none."""
    monkeypatch.setenv("LAMBDA_LAYER_LOCK_TIMEOUT", value)
    with pytest.raises(ConfigError) as error:
        lock_timeout()
    assert str(error.value) == f"LAMBDA_LAYER_LOCK_TIMEOUT must be a finite number of seconds (0 or more), got {value!r}."


@pytest.mark.parametrize("value, seconds", [("-0", "0.0"), ("0", "0.0"), (" 2.5 ", "2.5"), ("", "600.0")])
def test_lock_timeout_values(monkeypatch, value, seconds):
    monkeypatch.setenv("LAMBDA_LAYER_LOCK_TIMEOUT", value)
    assert repr(lock_timeout()) == seconds  # repr: -0.0 would print as "-0" in the waiting message
