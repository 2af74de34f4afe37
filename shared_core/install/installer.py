"""Install exact pins for the target runtime with uv (default) or pip, wheels only, ``--no-deps``.

The installer never evaluates a marker or resolves anything: the pins are already the exact
set for the target, so uv and pip produce the same tree whatever machine runs them.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import InstallError, MissingWheelError
from ..indexes import PackageIndex, all_secrets, pip_index_env, uv_index_env
from ..lambda_runtime import LambdaTarget
from ..names import normalize_name
from ..pins.pin import Pin
from ..tools import find_uv, python_has_module, run_tool, tail

_UV_NO_WHEEL = re.compile(r"Because (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?) has no (?:usable wheels|wheels with a matching)")
_PIP_NO_WHEEL = re.compile(r"(?:satisfies the requirement|matching distribution found for) (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")


@dataclass(frozen=True)
class InstallRequest:
    pins: Tuple[Pin, ...]
    target: LambdaTarget
    destination: Path
    installer: str = "uv"
    allow_sdist: Tuple[str, ...] = ()
    indexes: Tuple[PackageIndex, ...] = ()
    #: The project root: uv reads the project's own index settings (``[tool.uv]``, uv.toml) from here.
    project_root: Optional[Path] = None

    @property
    def require_hashes(self) -> bool:
        return bool(self.pins) and all(pin.hashes for pin in self.pins)

    def requirements_text(self, pins: Sequence[Pin]) -> str:
        return "".join(pin.requirement_line(self.require_hashes) + "\n" for pin in pins)


def uv_command(request: InstallRequest, requirements_file: Path, *, dry_run: bool = False) -> List[str]:
    allowed = {normalize_name(name) for name in request.allow_sdist}
    command = [
        find_uv(), "pip", "install", "--target", str(request.destination),
        "--python-platform", request.target.uv_platform, "--python-version", request.target.python_version,
        "--python", sys.executable, "--no-deps", "--link-mode", "copy", "-r", str(requirements_file),
    ]
    if allowed:
        command += [arg for pin in request.pins if pin.normalized_name not in allowed for arg in ("--only-binary", pin.name)]
    else:
        command += ["--only-binary", ":all:"]
    command += ["--require-hashes"] if request.require_hashes else []
    command += ["--dry-run"] if dry_run else []
    return command


def pip_command(request: InstallRequest, requirements_file: Path) -> List[str]:
    target = request.target
    _major, _minor = target.version_tuple
    command = [
        sys.executable, "-m", "pip", "install", "--target", str(request.destination), "--no-deps", "--no-compile",
        "--disable-pip-version-check", "--no-input", "--python-version", target.python_version,
        "--implementation", "cp", "--abi", target.cpython_tag, "--abi", "abi3", "--abi", "none",
        "-r", str(requirements_file),
    ]
    command += [arg for tag in target.platform_tags for arg in ("--platform", tag)]
    allowed = {normalize_name(name) for name in request.allow_sdist}
    if allowed:
        binary_only = [pin.name for pin in request.pins if pin.normalized_name not in allowed]
        command += ["--only-binary", ",".join(binary_only) or ":none:"]
    else:
        command += ["--only-binary=:all:"]
    command += ["--require-hashes"] if request.require_hashes else []
    return command


def _missing_wheel_error(missing: Sequence[Tuple[str, str]], target: LambdaTarget) -> MissingWheelError:
    listed = "; ".join(f"{name} {version}" for name, version in missing)
    tags = f"{target.cpython_tag}/abi3/py3, {target.platform_tags[0]} or older manylinux, or any"
    first = missing[0][0]
    return MissingWheelError(
        f"No wheel for the target runtime ({target.describe()}) for: {listed}. Needed tags: {tags}. "
        f"Ways out: pin a version that publishes wheels for this runtime; for a pure-Python package, "
        f'allow its sdist with `allow-sdist = ["{first}"]` in [tool.lambda-layer]; or build on the '
        "target platform."
    )


def _uv_missing(output: str) -> List[Tuple[str, str]]:
    return [(m["name"], m["version"]) for m in _UV_NO_WHEEL.finditer(output)]


def _install_with_uv(request: InstallRequest, requirements_file: Path, env: Dict[str, str]) -> None:
    secrets = all_secrets(request.indexes)
    completed = run_tool(uv_command(request, requirements_file), what="uv pip install", extra_env=env, secrets=secrets,
                         check=False, cwd=request.project_root)
    if completed.returncode == 0:
        return
    missing = _uv_missing(completed.stderr)
    if not missing:
        raise InstallError(f"uv pip install failed (exit {completed.returncode}):\n{tail(completed.stderr, secrets)}")
    # uv reports one unsatisfiable pin at a time: drop it and dry-run again to list them all.
    remaining = [pin for pin in request.pins]
    while missing and len(missing) < len(request.pins):
        names = {normalize_name(name) for name, _ in missing}
        remaining = [pin for pin in request.pins if pin.normalized_name not in names]
        requirements_file.write_text(request.requirements_text(remaining), encoding="utf-8")
        probe = run_tool(uv_command(request, requirements_file, dry_run=True), what="uv pip install --dry-run",
                         extra_env=env, secrets=secrets, check=False, cwd=request.project_root)
        more = [item for item in _uv_missing(probe.stderr) if normalize_name(item[0]) not in names]
        if probe.returncode == 0 or not more:
            break
        missing += more
    raise _missing_wheel_error(sorted(missing, key=lambda item: normalize_name(item[0])), request.target)


def _install_with_pip(request: InstallRequest, requirements_file: Path, env: Dict[str, str]) -> None:
    if not python_has_module(sys.executable, "pip"):
        raise InstallError(
            f"installer = \"pip\" but pip is not installed in {sys.executable} (Hatch's build environment has "
            "none). Use the default `installer = \"uv\"` or install pip there."
        )
    secrets = all_secrets(request.indexes)
    completed = run_tool(pip_command(request, requirements_file), what="pip install", extra_env=env, secrets=secrets,
                         check=False, cwd=request.project_root)
    if completed.returncode == 0:
        return
    # pip names each one twice ("... satisfies the requirement X==1" and "... found for X==1")
    missing = list(dict.fromkeys((m["name"], m["version"]) for m in _PIP_NO_WHEEL.finditer(completed.stderr)))
    if missing:
        raise _missing_wheel_error(missing, request.target)
    raise InstallError(f"pip install failed (exit {completed.returncode}):\n{tail(completed.stderr, secrets)}")


def install_pins(request: InstallRequest, scratch: Path) -> None:
    """Install ``request.pins`` into ``request.destination`` (which must not exist yet)."""
    if not request.pins:
        request.destination.mkdir(parents=True, exist_ok=True)
        return
    scratch.mkdir(parents=True, exist_ok=True)
    requirements_file = scratch / "pinned-requirements.txt"
    requirements_file.write_text(request.requirements_text(request.pins), encoding="utf-8")
    if request.installer == "pip":
        _install_with_pip(request, requirements_file, pip_index_env(request.indexes))
    else:
        env = uv_index_env(request.indexes)
        env.setdefault("UV_PYTHON_DOWNLOADS", os.environ.get("UV_PYTHON_DOWNLOADS", "never"))
        _install_with_uv(request, requirements_file, env)
