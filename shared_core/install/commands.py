"""Install exact pins for the target runtime with uv (default) or pip, wheels only, ``--no-deps``.

The installer never evaluates a marker or resolves anything: the pins are already the exact
set for the target, so uv and pip produce the same tree whatever machine runs them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from shared_core.errors import InstallError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.availability import missing_wheel_error, newest_with_wheel, uv_missing
from shared_core.pins.indexes import (
    INDEX_VARIABLES,
    NO_SETTINGS,
    IndexSettings,
    PackageIndex,
    all_secrets,
    bound_index,
    bound_index_env,
    pip_index_env,
    uv_index_args,
    uv_index_env,
)
from shared_core.pins.model import Pin
from shared_core.support.names import normalize_name
from shared_core.support.reporting import mask_credentials
from shared_core.support.toolchain import (
    failure_message,
    find_uv,
    full_output,
    python_has_module,
    run_streaming,
    run_tool,
    strip_terminal_codes,
)

#: uv's counts on a terminal: "Preparing packages... (3/12)" (download and unpack), "[3/12]" (install).
_UV_PREPARED = re.compile(r"\((\d+)/(\d+)\)\s*$")
_UV_INSTALLED = re.compile(r"\[(\d+)/(\d+)\]")
#: pip's line per distribution it fetches, on a terminal or not.
_PIP_FETCHING = re.compile(r"^(Collecting|Processing|Obtaining) ")

Progress = Callable[[str, int, int], None]

#: pip's signs that the index gave it no usable answer (it logs them as warnings, then reports
#: every pin as "no matching distribution"): no connection, TLS, or refused credentials.
_PIP_UNREACHABLE = re.compile(
    r"(?:NewConnectionError|ConnectTimeoutError|ReadTimeoutError|ProxyError|SSLError|NameResolutionError|"
    r"Could not fetch URL|Max retries exceeded|40[13] Error|HTTP error 40[13])[^\n]*"
)
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
    settings: IndexSettings = NO_SETTINGS
    #: Every index the project configures: the credentials of pins bound to one (``Pin.index``).
    known_indexes: Tuple[PackageIndex, ...] = ()
    #: Environment changes (``None`` removes) and arguments of one installer run: a run bound to one index.
    env_override: Mapping[str, Optional[str]] = field(default_factory=dict)
    extra_args: Tuple[str, ...] = ()

    @property
    def require_hashes(self) -> bool:
        """Any hash means every pin is checked (``check_hash_rule`` has refused a partly hashed set)."""
        return any(pin.hashes for pin in self.pins)

    def requirements_text(self, pins: Sequence[Pin]) -> str:
        return "".join(pin.requirement_line(self.require_hashes) + "\n" for pin in pins)

    def binary_only(self) -> Optional[List[str]]:
        """The pins that must come as wheels; ``None`` when all must (no ``allow-sdist``)."""
        allowed = {normalize_name(name) for name in self.allow_sdist}
        return [pin.name for pin in self.pins if pin.normalized_name not in allowed] if allowed else None


def uv_command(request: InstallRequest, requirements_file: Path, *, dry_run: bool = False) -> List[str]:
    # Hard links from uv's cache: staging pandas + pyarrow is then metadata only, where a copy writes (and
    # the next build deletes) 285 MB. Nothing writes into the staged tree in place (bytecode.py renames
    # its files into it); across filesystems uv copies.
    command = [
        find_uv(), "pip", "install", "--target", str(request.destination),
        "--python-platform", request.target.uv_platform, "--python-version", request.target.python_version,
        "--python", sys.executable, "--no-deps", "--link-mode", "hardlink", "-r", str(requirements_file),
    ]
    binary_only = request.binary_only()
    if binary_only is None:
        command += ["--only-binary", ":all:"]
    else:
        command += [arg for name in binary_only for arg in ("--only-binary", name)]
    command += ["--require-hashes"] if request.require_hashes else []
    command += uv_index_args(request.settings)
    command += list(request.extra_args)
    command += ["--dry-run"] if dry_run else []
    return command


def pip_command(request: InstallRequest, requirements_file: Path) -> List[str]:
    target = request.target
    command = [
        sys.executable, "-m", "pip", "install", "--target", str(request.destination), "--no-deps", "--no-compile",
        "--disable-pip-version-check", "--no-input", "--python-version", target.python_version,
        "--implementation", "cp", "--abi", target.cpython_tag, "--abi", "abi3", "--abi", "none",
        "-r", str(requirements_file),
    ]
    command += [arg for tag in target.platform_tags for arg in ("--platform", tag)]
    binary_only = request.binary_only()
    if binary_only is None:
        command += ["--only-binary=:all:"]
    else:
        command += ["--only-binary", ",".join(binary_only) or ":none:"]
    command += ["--require-hashes"] if request.require_hashes else []
    return command


def _newest(missing: Sequence[Tuple[str, str]], request: InstallRequest, env: Mapping[str, Optional[str]]) -> Dict[str, Optional[str]]:
    """For each pin without a wheel, the newest release that has one, from the indexes of this run."""
    args = [*uv_index_args(request.settings), *request.extra_args]
    return {name: newest_with_wheel(name, request.target, env=env, args=args, cwd=request.project_root,
                                    secrets=all_secrets(request.indexes)) for name, _ in missing}


def _uv_counts(progress: Progress) -> Callable[[str], None]:
    """Turn uv's terminal redraws into ``download``/``install`` progress."""

    def on_text(text: str) -> None:
        plain = strip_terminal_codes(text)
        for pattern, stage in ((_UV_PREPARED, "download"), (_UV_INSTALLED, "install")):
            match = pattern.search(plain)
            if match and int(match.group(2)) > 0:
                progress(stage, int(match.group(1)), int(match.group(2)))

    return on_text


def _pip_counts(progress: Progress, total: int) -> Callable[[str], None]:
    """One step of ``download`` per distribution pip starts fetching."""
    seen = [0]

    def on_text(text: str) -> None:
        if _PIP_FETCHING.match(strip_terminal_codes(text)):
            seen[0] += 1
            progress("download", min(seen[0], total), total)

    return on_text


def _run_installer(
    request: InstallRequest, command: List[str], what: str, env: Mapping[str, Optional[str]],
    counts: Optional[Callable[[str], None]], *, terminal: bool,
) -> subprocess.CompletedProcess:
    """Run the installer, capturing its output, or streaming it to ``counts`` for the progress bar."""
    if counts is None:
        return run_tool(command, what=what, extra_env=env, secrets=all_secrets(request.indexes), check=False,
                        cwd=request.project_root)
    return run_streaming(command, counts, terminal=terminal, what=what, extra_env=env, cwd=request.project_root)


def _install_with_uv(
    request: InstallRequest, requirements_file: Path, env: Mapping[str, Optional[str]], progress: Optional[Progress] = None
) -> None:
    secrets = all_secrets(request.indexes)
    counts = _uv_counts(progress) if progress is not None else None
    # uv reports its counts only to a terminal
    completed = _run_installer(request, uv_command(request, requirements_file), "uv pip install", env, counts, terminal=True)
    if completed.returncode == 0:
        return
    missing = uv_missing(completed.stderr)
    if not missing:
        raise InstallError(
            failure_message("uv pip install", completed.returncode, completed.stderr, secrets),
            details=full_output(completed, secrets),
        )
    # uv reports one unsatisfiable pin at a time: drop it and dry-run again to list them all.
    while missing and len(missing) < len(request.pins):
        names = {normalize_name(name) for name, _ in missing}
        remaining = [pin for pin in request.pins if pin.normalized_name not in names]
        requirements_file.write_text(request.requirements_text(remaining), encoding="utf-8")
        probe = run_tool(uv_command(request, requirements_file, dry_run=True), what="uv pip install --dry-run",
                         extra_env=env, secrets=secrets, check=False, cwd=request.project_root)
        more = [item for item in uv_missing(probe.stderr) if normalize_name(item[0]) not in names]
        if probe.returncode == 0 or not more:
            break
        missing += more
    missing = sorted(missing, key=lambda item: normalize_name(item[0]))
    raise missing_wheel_error(missing, request.target, newest=_newest(missing, request, env))


def _install_with_pip(
    request: InstallRequest, requirements_file: Path, env: Mapping[str, Optional[str]], progress: Optional[Progress] = None
) -> None:
    if not python_has_module(sys.executable, "pip"):
        raise InstallError(
            f"installer = \"pip\" but pip is not installed in {sys.executable} (Hatch's build environment has "
            "none). Use the default `installer = \"uv\"` or install pip there."
        )
    secrets = all_secrets(request.indexes)
    counts = _pip_counts(progress, len(request.pins)) if progress is not None else None
    completed = _run_installer(request, pip_command(request, requirements_file), "pip install", env, counts, terminal=False)
    if completed.returncode == 0:
        return
    unreachable = _PIP_UNREACHABLE.search(completed.stderr)
    if unreachable:  # pip then says "no matching distribution" for every pin: not a wheel problem
        where = ", ".join(mask_credentials(index.url) for index in request.indexes) or "the default index (PyPI, or PIP_INDEX_URL)"
        raise InstallError(
            f"pip could not use the package index ({where}): {mask_credentials(unreachable.group(0), secrets)}. "
            "Check the index URL, the network (proxy, VPN) and the credentials, then build again."
        )
    # pip names each pin twice ("Could not find a version ..." then "No matching distribution ...")
    missing = list(dict.fromkeys((m["name"], m["version"]) for m in _PIP_NO_WHEEL.finditer(completed.stderr)))
    if missing:
        # pip words "no wheel for this platform" and "no such release" alike ("from versions: none")
        caveat = " (pip reports a name or version the index does not have the same way: check those too.)"
        raise missing_wheel_error(missing, request.target, caveat=caveat, newest=_newest(missing, request, env))
    raise InstallError(
        failure_message("pip install", completed.returncode, completed.stderr, secrets),
        details=full_output(completed, secrets),
    )


def _run(request: InstallRequest, requirements_file: Path, progress: Optional[Progress]) -> None:
    """One installer run over ``request.pins``, with its indexes (or the one it is bound to)."""
    requirements_file.write_text(request.requirements_text(request.pins), encoding="utf-8")
    if request.installer == "pip":
        env: Dict[str, Optional[str]] = dict(pip_index_env(request.indexes, request.settings))
        env.update(request.env_override)
        _install_with_pip(request, requirements_file, env, progress)
    else:
        env = dict(uv_index_env(request.indexes, request.settings))
        env.setdefault("UV_PYTHON_DOWNLOADS", os.environ.get("UV_PYTHON_DOWNLOADS", "never"))
        env.update(request.env_override)
        _install_with_uv(request, requirements_file, env, progress)


def installer_runs(request: InstallRequest, local_wheels: Sequence[Pin]) -> List[InstallRequest]:
    """One run for the pins from the configured indexes, one per index a pin is bound to (that index
    alone), and one for the local wheels (no index at all)."""
    default = tuple(pin for pin in request.pins if pin.index is None and pin.path is None)
    runs: List[InstallRequest] = [replace(request, pins=default)] if default else []
    bound: Dict[str, List[Pin]] = {}
    for pin in request.pins:
        if pin.index is not None and pin.path is None:
            bound.setdefault(pin.index, []).append(pin)
    for url, pins in sorted(bound.items()):
        env, args = bound_index_env(bound_index(url, (*request.known_indexes, *request.indexes)), request.installer)
        runs.append(replace(request, pins=tuple(pins), indexes=(), settings=NO_SETTINGS, env_override=env, extra_args=tuple(args)))
    if local_wheels:
        env = {variable: None for variable in INDEX_VARIABLES}
        env.update({"PIP_NO_INDEX": "1"} if request.installer == "pip" else {})
        args = () if request.installer == "pip" else ("--no-index",)
        runs.append(replace(request, pins=tuple(local_wheels), indexes=(), settings=NO_SETTINGS, env_override=env,
                            extra_args=args, allow_sdist=()))
    return runs


def install_pins(request: InstallRequest, scratch: Path, progress: Optional[Progress] = None) -> None:
    """Install ``request.pins`` into ``request.destination`` (which must not exist yet).

    ``progress`` (when the user sees a terminal) receives the installer's own counts.
    """
    if not request.pins:
        request.destination.mkdir(parents=True, exist_ok=True)
        return
    scratch.mkdir(parents=True, exist_ok=True)
    local = [pin for pin in request.pins if pin.path is not None]
    wheels = build_local_wheels(local, scratch / "local-wheels", request.target) if local else []
    for number, run in enumerate(installer_runs(request, wheels)):
        _run(run, scratch / f"pinned-requirements-{number}.txt", progress)
    for record in request.destination.glob("*.dist-info/direct_url.json"):
        record.unlink()  # where this machine's scratch wheel was: not part of the layer


def build_local_wheels(pins: Sequence[Pin], out_dir: Path, target: LambdaTarget) -> List[Pin]:
    """Each local pin as a wheel (project folders and sdists built by their own backend, isolated)."""
    wheels: List[Pin] = []
    for number, pin in enumerate(pins):
        assert pin.path is not None
        wheel = pin.path
        if not pin.path.name.endswith(".whl"):
            out = out_dir / str(number)
            run_tool([find_uv(), "build", "--wheel", "--out-dir", str(out), "--python", sys.executable, str(pin.path)],
                     what=f"uv build ({pin.name} from {pin.path})", cwd=pin.path if pin.path.is_dir() else pin.path.parent,
                     extra_env={"UV_PYTHON_DOWNLOADS": os.environ.get("UV_PYTHON_DOWNLOADS", "never")})
            built = sorted(out.glob("*.whl"))
            if len(built) != 1:
                raise InstallError(f"Building {pin.name} from {pin.path} gave {len(built)} wheels instead of one.")
            wheel = built[0]
        name, version, tags = _wheel_filename(wheel)
        if normalize_name(name) != pin.normalized_name:
            raise InstallError(
                f"The local distribution at {pin.path} is {name}, not {pin.name} as the pin source says. Fix the path "
                "or the dependency's name."
            )
        if not any(target.accepts_wheel_tag(tag) for tag in tags):
            raise InstallError(
                f"The local distribution {pin.name} at {pin.path} builds the wheel {wheel.name} on this machine, which "
                f"cannot run on {target.describe()} (its tags: {', '.join(tags)}). A layer can hold a local "
                "distribution only when it is pure Python, or built for the target: build it on the target platform "
                "and point the dependency at that wheel."
            )
        wheels.append(replace(pin, version=version, path=wheel))
    return wheels


def _wheel_filename(wheel: Path) -> Tuple[str, str, List[str]]:
    """(name, version, expanded tags) from ``name-version(-build)?-py-abi-platform.whl``."""
    parts = wheel.name[: -len(".whl")].split("-")
    pythons, abis, platforms = parts[-3:]
    tags = [f"{p}-{a}-{pl}" for p in pythons.split(".") for a in abis.split(".") for pl in platforms.split(".")]
    return parts[0], parts[1], tags
