"""Running uv and pip: finding the binary, isolating output, masking credentials in errors."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Dict, Mapping, Optional, Sequence, Type

from .errors import InstallError, LayerError
from .indexes import mask_credentials


def find_uv() -> str:
    """Hatch's own uv inside a Hatch build, else the ``uv`` package's binary, else ``uv`` on PATH."""
    hatch_uv = os.environ.get("HATCH_UV")
    if hatch_uv and os.path.exists(hatch_uv):
        return hatch_uv
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except Exception:  # the uv package is missing or its binary is not installed
        pass
    found = shutil.which("uv")
    if found:
        return found
    raise InstallError(
        "Could not find uv: install lambda-layer-build with its dependencies (`pip install lambda-layer-build`), "
        "put `uv` on PATH, or set `installer = \"pip\"` in [tool.lambda-layer]."
    )


def run_tool(
    command: Sequence[str],
    *,
    cwd: Optional[os.PathLike] = None,
    what: str,
    stdin: Optional[str] = None,
    extra_env: Optional[Mapping[str, str]] = None,
    secrets: Sequence[str] = (),
    error: Type[LayerError] = InstallError,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run a tool, capturing its output; a failure becomes ``error`` with the masked tail of stderr."""
    env: Dict[str, str] = dict(os.environ)
    env.update(extra_env or {})
    try:
        completed = subprocess.run(
            list(command), cwd=cwd, input=stdin, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace"
        )
    except OSError as exc:
        raise error(f"Could not run {what} ({command[0]}): {exc}.") from None
    if check and completed.returncode != 0:
        raise error(f"{what} failed (exit {completed.returncode}):\n{tail(completed.stderr or completed.stdout, secrets)}")
    return completed


def tail(output: str, secrets: Sequence[str] = (), lines: int = 25) -> str:
    kept = [line for line in output.strip().splitlines() if line.strip()][-lines:]
    return mask_credentials("\n".join("  " + line for line in kept), secrets)


def python_has_module(python: str, module: str) -> bool:
    completed = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
    return completed.returncode == 0
