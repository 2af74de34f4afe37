"""shared_core.support.toolchain: the installer's reasons in a failure, and which interpreter compiles the bytecode."""

from __future__ import annotations

import os
import sys

from shared_core.lambda_runtime import LambdaTarget


def test_installer_reasons_from_older_uv_output_with_colour():
    from shared_core.support.toolchain import failure_message

    # uv before 0.9 on a terminal: coloured, "Caused by:" chain, an index URL with credentials
    output = (
        "Resolved 3 packages in 12ms\n"
        "\x1b[1m\x1b[31merror\x1b[39m\x1b[0m: Failed to prepare distributions\n"
        "  \x1b[31mCaused by\x1b[39m: Failed to fetch wheel: idna==3.7\n"
        "  \x1b[31mCaused by\x1b[39m: HTTP status client error (401 Unauthorized) for url "
        "(https://bob:hunter22@pkgs.example/idna-3.7-py3-none-any.whl)\n"
    )
    assert failure_message("uv pip install", 2, output, ("hunter22",)) == (
        "uv pip install failed for idna==3.7 (exit 2):\n"
        "  error: Failed to prepare distributions\n"
        "    Caused by: Failed to fetch wheel: idna==3.7\n"
        "    Caused by: HTTP status client error (401 Unauthorized) for url (https://bob:****@pkgs.example/idna-3.7-py3-none-any.whl)\n"
        "With -v, the whole output of uv pip install is shown."
    )


def test_the_bytecode_interpreters_full_version_is_known():
    """Part of the fingerprint: a new patch release of the compiling interpreter means a rebuild."""
    import platform

    from shared_core.support.toolchain import find_interpreter, interpreter_release

    running = LambdaTarget.create("%d.%d" % sys.version_info[:2], "x86_64")
    assert interpreter_release(find_interpreter(running)) == platform.python_version()


def test_a_pyenv_shim_is_tried_after_the_interpreters_it_chooses_from(tmp_path, monkeypatch):
    """A shim is a shell script that costs a tenth of a second on every build (up-to-date ones too)."""
    from shared_core.support.toolchain import _candidates

    root = tmp_path / "pyenv"
    shim = root / "shims" / "python3.12"
    versions = [root / "versions" / release / "bin" / "python3.12" for release in ("3.12.1", "3.12.4")]
    for path in (shim, *versions):
        path.parent.mkdir(parents=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}/nonexistent")
    assert _candidates("3.12") == [str(versions[1]), str(versions[0]), str(shim)]


_FIND_UV_AT_ONCE = """
import sys, threading
sys.path.insert(0, sys.argv[1])
from shared_core.support.toolchain import find_uv
barrier, found = threading.Barrier(8), []
def find():
    barrier.wait()
    try:
        found.append(find_uv())
    except Exception as error:
        found.append(repr(error))
threads = [threading.Thread(target=find) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(set(found)), found[0])
"""


def test_find_uv_from_many_threads_at_once_finds_the_same_uv():
    """Several targets resolve on threads, and uv's own finder is not thread-safe on first use: each run
    is a fresh interpreter, where nothing has imported uv yet."""
    import os
    import subprocess
    import sys

    from tests.helpers.paths import REPO_ROOT

    env = {key: value for key, value in os.environ.items() if key != "HATCH_UV"}
    for _ in range(12):
        said = subprocess.run([sys.executable, "-c", _FIND_UV_AT_ONCE, str(REPO_ROOT)], capture_output=True, text=True,
                              env=env, check=True).stdout.split()
        assert said[0] == "1" and os.path.basename(said[1]) == "uv", said
