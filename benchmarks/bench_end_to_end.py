"""End-to-end benchmark: ``lambda-layer build`` (uv route) against aws-lambda-artifact-builder 0.1.8.

    .venv/bin/python benchmarks/bench_end_to_end.py [--runs N] [--workdir DIR] [--python X.Y] [--fresh]

Set-up (not timed): a throwaway venv in the work directory gets ``aws-lambda-artifact-builder==0.1.8``
and ``uv`` (pinned to the uv version our own venv has, so both tools drive the same uv). One uv
project (requests, pydantic, pyyaml, python-dateutil, numpy; dev group: pytest) is locked once and
copied twice, ``ours/`` and ``reference/``, so the tools never share ``build/``. For targets up to
3.11 numpy is capped at ``<2.3``: newer numpy has only manylinux_2_27+ wheels, which Lambda's
Amazon Linux 2 runtimes (glibc 2.26) cannot load, so ours rightly refuses them (the reference,
which installs for the host, would ship them). The reference copy gets the ``.venv`` its zipper
reads the Python version from (``uv venv --python``).
Every subprocess runs with ``UV_NO_CONFIG=1``, ``PIP_CONFIG_FILE=/dev/null`` (PIP_*/UV_* index
variables removed, so PyPI is the only index), ``UV_PYTHON=<interpreter of the target version>``
and a per-tool ``UV_CACHE_DIR``; the interpreter's directory is put first on PATH.

Measured, for each tool (ours: ``lambda-layer build --project DIR --tool uv --python X.Y --arch
<host>``; the reference: ``UVBasedLambdaLayerLocalBuilder(...).run()`` then
``LambdaLayerZipper(...).run()`` in one fresh interpreter). Times are wall-clock seconds of the
whole subprocess, interpreter start-up included for both:

- cold build: a new, empty uv cache and no ``build/`` (one run: it downloads every wheel);
- warm rebuild: same cache, ``build/`` removed first (ours with ``--force`` too); median of N;
- no-op rebuild: run again with nothing changed; ours should print "up to date", the reference
  has no skip and rebuilds everything; median of N;
- zipped bytes (size of layer.zip), unzipped bytes (sum of member sizes), member and .pyc counts;
- cold import: each layer.zip is extracted and made read-only (``chmod -R a-w``), then
  ``import requests, pydantic, yaml, dateutil, numpy`` is timed in 5 fresh processes of the
  target-version interpreter per layer (median; the two layers alternate), after one untimed run
  per layer that checks every module comes from the layer. The processes run with ``-I -S -B``:
  ``-S`` because this machine's interpreter has all five packages (and a start-up ``.pth`` that
  imports certifi) in its own site-packages, which would mask a broken layer and pre-load modules.
  Lambda's runtime provides urllib3, which both tools exclude, so a stand-in "runtime" directory
  holding the locked urllib3 (compiled, as the runtime's is) goes on ``sys.path`` after the
  layer, as ``/var/runtime`` does on Lambda.
  Note: if you run as root, ``chmod a-w`` does not stop writes; ``-B`` is what keeps the
  interpreter from writing ``__pycache__`` during the measurement.

How to read the table: the ratio column is ours / reference, so below 1 means we are faster or
smaller. Goals (from the issue): warm rebuild <= 0.5x of the reference, no-op rebuild <= 1 s,
cold import <= 0.5x of the reference's layer. The lines after the table list what each layer
contains (bytecode kinds, distributions that only one layer has, dev-only packages that leaked).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_REQUIREMENT = "aws-lambda-artifact-builder==0.1.8"
DEPENDENCIES: Tuple[str, ...] = ("requests", "pydantic", "pyyaml", "python-dateutil", "numpy")
DEV_DEPENDENCIES: Tuple[str, ...] = ("pytest",)
NUMPY_FOR_AL2 = "numpy<2.3"
IMPORTS = "requests, pydantic, yaml, dateutil, numpy"
IMPORT_RUNS = 11
SUBPROCESS_TIMEOUT = 1800
WARM_GOAL = 0.5
NOOP_GOAL_SECONDS = 1.0
IMPORT_GOAL = 0.5

REFERENCE_SCRIPT = """
import sys
from pathlib import Path
from aws_lambda_artifact_builder.api import LambdaLayerZipper, LayerBuildToolEnum, UVBasedLambdaLayerLocalBuilder

pyproject = Path(sys.argv[1])
UVBasedLambdaLayerLocalBuilder(path_pyproject_toml=pyproject, path_bin_uv=Path(sys.argv[2]), skip_prompt=True).run()
LambdaLayerZipper(path_pyproject_toml=pyproject, layer_build_tool=LayerBuildToolEnum.uv, verbose=False).run()
"""

IMPORT_SCRIPT = """
import sys
sys.path.insert(0, {runtime!r})
sys.path.insert(0, {layer!r})
import time
t = time.perf_counter()
import {imports}
elapsed = time.perf_counter() - t
if len(sys.argv) > 1:
    import json
    print(json.dumps({{name: getattr(sys.modules[name], "__file__", None) for name in sys.argv[1:]}}))
else:
    print(elapsed)
"""

# Variables that would point pip or uv at another index or inject this machine's settings.
SCRUBBED_ENV_PREFIXES: Tuple[str, ...] = ("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX")
KEPT_ENV: Tuple[str, ...] = ("PIP_CERT",)


class BenchError(RuntimeError):
    """A set-up or build step failed; the message says which and shows its output."""


@dataclass
class ToolResult:
    name: str
    project: Path
    cache: Path
    cold: float = 0.0
    warm: List[float] = field(default_factory=list)
    noop: List[float] = field(default_factory=list)
    noop_skipped: List[bool] = field(default_factory=list)
    zipped: int = 0
    unzipped: int = 0
    members: int = 0
    pyc: Dict[str, int] = field(default_factory=dict)
    distributions: Set[str] = field(default_factory=set)
    imports: List[float] = field(default_factory=list)
    import_origins: Dict[str, Optional[str]] = field(default_factory=dict)
    layer_dir: str = ""

    @property
    def zip_path(self) -> Path:
        return self.project / "build" / "lambda" / "layer" / "layer.zip"


# --------------------------------------------------------------------------- helpers


def normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def base_env() -> Dict[str, str]:
    """This process's environment without pip/uv/Python settings, plus the isolation variables."""
    env = {
        key: value for key, value in os.environ.items()
        if key in KEPT_ENV or not key.startswith(SCRUBBED_ENV_PREFIXES)
    }
    env.update(UV_NO_CONFIG="1", PIP_CONFIG_FILE="/dev/null", UV_PYTHON_DOWNLOADS="never", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def run(command: Sequence[str], *, env: Dict[str, str], cwd: Optional[Path] = None, what: str) -> subprocess.CompletedProcess:
    """Run a set-up command; on failure raise with its output."""
    completed = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
        errors="replace", timeout=SUBPROCESS_TIMEOUT,
    )
    if completed.returncode != 0:
        raise BenchError(f"{what} failed (exit {completed.returncode}): {' '.join(map(str, command))}\n"
                         f"{completed.stdout}{completed.stderr}")
    return completed


def timed(command: Sequence[str], *, env: Dict[str, str], cwd: Path, what: str) -> Tuple[float, str]:
    """Wall time of one build; on failure raise with the tool's whole output."""
    started = time.perf_counter()
    completed = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, errors="replace", timeout=SUBPROCESS_TIMEOUT,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise BenchError(f"{what} failed (exit {completed.returncode}) after {elapsed:.1f} s: "
                         f"{' '.join(map(str, command))}\n--- output ---\n{completed.stdout}--- end of output ---")
    return elapsed, completed.stdout


def rmtree(path: Path) -> None:
    """Remove a tree, restoring write permission first (import dirs are made read-only)."""
    if not path.exists():
        return
    for root, dirs, _files in os.walk(path):
        os.chmod(root, 0o755)
        for name in dirs:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                os.chmod(full, 0o755)
    shutil.rmtree(path)


def host_architecture() -> str:
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("aarch64", "arm64"):
        return "arm64"
    raise BenchError(f"unsupported host architecture {machine!r}: the reference builds for the host only")


def find_interpreter(version: str, uv: Optional[str]) -> str:
    """A base (non-venv) interpreter of ``version``: this one, ``pythonX.Y`` on PATH, or ``uv python find``."""
    probe = "import sys; print(getattr(sys, '_base_executable', sys.executable)); print('%d.%d' % sys.version_info[:2])"
    candidates: List[str] = [sys.executable]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    # pyenv installs that its shims do not expose (not in `pyenv global`).
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(path) for path in pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
    for candidate in candidates:
        completed = subprocess.run([candidate, "-c", probe], capture_output=True, text=True, env=base_env())
        lines = completed.stdout.split()
        if completed.returncode == 0 and len(lines) == 2 and lines[1] == version:
            return lines[0]
    if uv:
        completed = subprocess.run([uv, "python", "find", "--no-project", version], capture_output=True, text=True, env=base_env())
        if completed.returncode == 0 and completed.stdout.strip():
            return completed.stdout.strip()
    raise BenchError(f"no Python {version} interpreter found (tried {', '.join(candidates)} and uv python find)")


def our_command() -> List[str]:
    script = Path(sys.executable).parent / "lambda-layer"
    if script.exists():
        return [str(script)]
    on_path = shutil.which("lambda-layer")
    if on_path:
        return [on_path]
    return [sys.executable, "-m", "shared_core.cli"]


def our_uv_version() -> Optional[str]:
    completed = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True, text=True)
    parts = completed.stdout.split()
    return parts[1] if completed.returncode == 0 and len(parts) >= 2 else None


# --------------------------------------------------------------------------- set-up


def ensure_reference_venv(workdir: Path, fresh: bool, env: Dict[str, str]) -> Path:
    """``workdir/reference-venv`` with the reference tool and uv; reused when it already matches."""
    venv = workdir / "reference-venv"
    uv_version = our_uv_version()
    uv_requirement = f"uv=={uv_version}" if uv_version else "uv"
    spec = f"{REFERENCE_REQUIREMENT} {uv_requirement}"
    marker = venv / ".bench-ready"
    if not fresh and marker.exists() and marker.read_text(encoding="utf-8") == spec:
        return venv
    rmtree(venv)
    base = getattr(sys, "_base_executable", sys.executable)
    print(f"set-up: venv {venv} with {spec}", flush=True)
    run([base, "-m", "venv", str(venv)], env=env, what="python -m venv")
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--index-url", "https://pypi.org/simple",
         REFERENCE_REQUIREMENT, uv_requirement], env=env, what="pip install of the reference tool")
    marker.write_text(spec, encoding="utf-8")
    return venv


def runtime_dependencies(python_version: str) -> List[str]:
    """DEPENDENCIES, with numpy capped where Lambda's glibc (2.26 up to python3.11) needs it.

    numpy >= 2.3 publishes only manylinux_2_27/2_28 Linux wheels, which cannot load on Lambda's
    Amazon Linux 2 runtimes (python3.9-3.11); ours refuses them, the reference would ship them.
    """
    major, minor = (int(part) for part in python_version.split("."))
    return [NUMPY_FOR_AL2 if name == "numpy" and (major, minor) <= (3, 11) else name for name in DEPENDENCIES]


def pyproject_text(python_version: str) -> str:
    deps = "".join(f'    "{name}",\n' for name in runtime_dependencies(python_version))
    dev = "".join(f'    "{name}",\n' for name in DEV_DEPENDENCIES)
    return (
        "[project]\n"
        'name = "bench-app"\n'
        'version = "0.1.0"\n'
        f'requires-python = ">={python_version}"\n'
        f"dependencies = [\n{deps}]\n\n"
        "[dependency-groups]\n"
        f"dev = [\n{dev}]\n"
    )


def make_projects(workdir: Path, uv: Path, python_version: str, env: Dict[str, str]) -> Tuple[Path, Path, Path]:
    """Lock one project, copy it to ``ours/`` and ``reference/``; return (base, ours, reference)."""
    base = workdir / "project-base"
    for path in (base, workdir / "ours", workdir / "reference"):
        rmtree(path)
    base.mkdir(parents=True)
    (base / "pyproject.toml").write_text(pyproject_text(python_version), encoding="utf-8")
    print(f"set-up: uv lock in {base} ({', '.join(runtime_dependencies(python_version))}; dev: "
          f"{', '.join(DEV_DEPENDENCIES)})", flush=True)
    run([uv, "lock"], env=env, cwd=base, what="uv lock")
    ours = workdir / "ours"
    reference = workdir / "reference"
    shutil.copytree(base, ours)
    shutil.copytree(base, reference)
    # The reference's zipper reads the Python version from the project's own .venv.
    run([uv, "venv", "--quiet", "--python", env["UV_PYTHON"], str(reference / ".venv")], env=env, cwd=reference,
        what="uv venv for the reference project")
    return base, ours, reference


def exported_names(uv: Path, project: Path, env: Dict[str, str], dev: bool) -> Dict[str, str]:
    """``{normalized name: version}`` of the lock, with or without the dev group."""
    command = [uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header", "--no-annotate"]
    command += [] if dev else ["--no-dev"]
    names: Dict[str, str] = {}
    for line in run(command, env=env, cwd=project, what="uv export").stdout.splitlines():
        line = line.split(";")[0].strip()
        if "==" in line and not line.startswith(("#", "-")):
            name, version = line.split("==", 1)
            names[normalize(name)] = version.strip()
    return names


def make_runtime_dir(workdir: Path, uv: Path, interpreter: str, urllib3_version: str, env: Dict[str, str]) -> Path:
    """A stand-in for Lambda's runtime site-packages: the locked urllib3, byte-compiled."""
    runtime = workdir / "lambda-runtime"
    rmtree(runtime)
    run([uv, "pip", "install", "--quiet", "--target", runtime, "--python", interpreter, "--no-deps",
         "--compile-bytecode", f"urllib3=={urllib3_version}"], env=env, what="uv pip install urllib3 (runtime stand-in)")
    return runtime


# --------------------------------------------------------------------------- measurements


def build_ours(result: ToolResult, env: Dict[str, str], python_version: str, arch: str, force: bool) -> Tuple[float, str]:
    command = [*our_command(), "build", "--project", str(result.project), "--tool", "uv", "--python", python_version, "--arch", arch]
    command += ["--force"] if force else []
    # our bytecode cache lives with the uv cache, so a cold build starts with both empty
    tool_env = dict(env, UV_CACHE_DIR=str(result.cache), LAMBDA_LAYER_CACHE_DIR=str(result.cache / "lambda-layer-build"))
    return timed(command, env=tool_env, cwd=result.project, what="lambda-layer build")


def build_reference(result: ToolResult, env: Dict[str, str], venv: Path) -> Tuple[float, str]:
    command = [venv / "bin" / "python", "-c", REFERENCE_SCRIPT, result.project / "pyproject.toml", venv / "bin" / "uv"]
    return timed(command, env=dict(env, UV_CACHE_DIR=str(result.cache)), cwd=result.project,
                 what="aws-lambda-artifact-builder (UVBasedLambdaLayerLocalBuilder + LambdaLayerZipper)")


def pyc_kind(data: bytes) -> str:
    """PEP 552 flags word: bit 0 = hash-based, bit 1 = check_source; so 0, 3 (checked) or 1 (unchecked)."""
    if len(data) < 16:
        return "invalid"
    flags = int.from_bytes(data[4:8], "little")
    return {0: "timestamp", 1: "unchecked-hash", 3: "checked-hash"}.get(flags, f"flags={flags}")


def inspect_zip(result: ToolResult) -> None:
    """Sizes, member count, bytecode kinds and top-level distributions of the layer."""
    path = result.zip_path
    if not path.is_file():
        raise BenchError(f"{result.name}: no layer.zip at {path}")
    result.zipped = path.stat().st_size
    with zipfile.ZipFile(path) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        result.members = len(infos)
        result.unzipped = sum(info.file_size for info in infos)
        kinds: Dict[str, int] = {}
        for info in infos:
            if info.filename.endswith(".pyc"):
                with archive.open(info) as handle:
                    kind = pyc_kind(handle.read(16))
                kinds[kind] = kinds.get(kind, 0) + 1
            parts = info.filename.split("/")
            if len(parts) >= 3 and parts[1].endswith(".dist-info"):
                result.distributions.add(normalize(parts[1][: -len(".dist-info")].rsplit("-", 1)[0]))
        result.pyc = kinds


def extract_read_only(zip_path: Path, destination: Path) -> Path:
    rmtree(destination)
    destination.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(destination)
    subprocess.run(["chmod", "-R", "a-w", str(destination)], check=True)
    return destination / "python"


def import_command(result: ToolResult, workdir: Path, interpreter: str, runtime: Path, env: Dict[str, str]) -> List[str]:
    """Extract the layer read-only, check every module comes from it, return the timing command."""
    layer = extract_read_only(result.zip_path, workdir / f"import-{result.name}")
    result.layer_dir = str(layer)
    script = IMPORT_SCRIPT.format(runtime=str(runtime), layer=str(layer), imports=IMPORTS)
    command = [interpreter, "-I", "-S", "-B", "-c", script]
    names = [name.strip() for name in IMPORTS.split(",")] + ["urllib3"]
    check = subprocess.run(command + names, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    if check.returncode != 0:
        raise BenchError(f"{result.name}: importing from its layer failed:\n{check.stdout}{check.stderr}")
    result.import_origins = json.loads(check.stdout)
    return command


def measure_imports(results: Sequence[ToolResult], workdir: Path, interpreter: str, runtime: Path,
                    env: Dict[str, str]) -> None:
    """IMPORT_RUNS fresh processes per layer, alternating between layers so load drift hits both."""
    commands = [import_command(result, workdir, interpreter, runtime, env) for result in results]
    for _ in range(IMPORT_RUNS):
        for result, command in zip(results, commands):
            completed = run(command, env=env, what=f"{result.name}: cold import")
            result.imports.append(float(completed.stdout.strip()))
    for result in results:
        # Nothing may have been written into the read-only tree (-B does that; root ignores a-w).
        written = [path for path in Path(result.layer_dir).rglob("*.pyc") if path.stat().st_mode & 0o200]
        if written:
            raise BenchError(f"{result.name}: the import runs wrote {len(written)} .pyc files into the layer")


# --------------------------------------------------------------------------- report


def fmt_seconds(value: float) -> str:
    return f"{value:.2f} s"


def fmt_bytes(value: float) -> str:
    return f"{int(value):,} ({value / 1e6:.2f} MB)"


def ratio(ours: float, reference: float) -> str:
    return f"{ours / reference:.2f}x" if reference else "n/a"


def print_table(rows: List[Tuple[str, str, str, str]]) -> None:
    header = ("metric", "ours", "reference", "ours/ref")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * width for width in widths)
    print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(header)))
    print(line)
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))


def report(ours: ToolResult, ref: ToolResult, runs: int, python_version: str, interpreter: str,
           uv_version: Optional[str], dev_only: Set[str]) -> None:
    med = statistics.median
    rows: List[Tuple[str, str, str, str]] = [
        ("cold build (empty uv cache, no build/)", fmt_seconds(ours.cold), fmt_seconds(ref.cold), ratio(ours.cold, ref.cold)),
        (f"warm rebuild (build/ removed), median of {runs}", fmt_seconds(med(ours.warm)), fmt_seconds(med(ref.warm)),
         ratio(med(ours.warm), med(ref.warm))),
        (f"no-op rebuild (nothing changed), median of {runs}", fmt_seconds(med(ours.noop)), fmt_seconds(med(ref.noop)),
         ratio(med(ours.noop), med(ref.noop))),
        ("layer.zip bytes (zipped)", fmt_bytes(ours.zipped), fmt_bytes(ref.zipped), ratio(ours.zipped, ref.zipped)),
        ("unzipped bytes (sum of members)", fmt_bytes(ours.unzipped), fmt_bytes(ref.unzipped), ratio(ours.unzipped, ref.unzipped)),
        ("files in zip", f"{ours.members:,}", f"{ref.members:,}", ratio(ours.members, ref.members)),
        (".pyc files in zip", f"{sum(ours.pyc.values()):,}", f"{sum(ref.pyc.values()):,}", "n/a"),
        (f"cold import, median of {IMPORT_RUNS}", f"{med(ours.imports) * 1000:.0f} ms", f"{med(ref.imports) * 1000:.0f} ms",
         ratio(med(ours.imports), med(ref.imports))),
    ]
    print()
    print(f"Python {python_version} ({interpreter}), {host_architecture()}, uv {uv_version or '?'}, reference {REFERENCE_REQUIREMENT}")
    print()
    print_table(rows)
    print()
    warm_ratio = med(ours.warm) / med(ref.warm)
    import_ratio = med(ours.imports) / med(ref.imports)
    goals = [
        (f"warm rebuild <= {WARM_GOAL}x reference", warm_ratio <= WARM_GOAL, f"{warm_ratio:.2f}x"),
        (f"no-op rebuild <= {NOOP_GOAL_SECONDS:.0f} s", med(ours.noop) <= NOOP_GOAL_SECONDS, fmt_seconds(med(ours.noop))),
        (f"cold import <= {IMPORT_GOAL}x reference layer", import_ratio <= IMPORT_GOAL, f"{import_ratio:.2f}x"),
    ]
    for label, ok, value in goals:
        print(f"goal {label}: {'MET' if ok else 'NOT MET'} ({value})")
    print()
    for result in (ours, ref):
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(result.pyc.items())) or "none"
        print(f"{result.name}: cold {result.cold:.2f} s; warm runs {', '.join(f'{t:.2f}' for t in result.warm)} s; "
              f"no-op runs {', '.join(f'{t:.2f}' for t in result.noop)} s; imports "
              f"{', '.join(f'{t * 1000:.0f}' for t in result.imports)} ms; .pyc: {kinds}")
    skipped = sum(ours.noop_skipped)
    print(f"ours: no-op runs that reported 'up to date': {skipped}/{len(ours.noop_skipped)}")
    only_ours = sorted(ours.distributions - ref.distributions)
    only_ref = sorted(ref.distributions - ours.distributions)
    print(f"distributions only in ours: {', '.join(only_ours) or 'none'}; only in reference: {', '.join(only_ref) or 'none'}")
    for result in (ours, ref):
        leaked = sorted(result.distributions & dev_only)
        print(f"{result.name}: dev-only packages in the layer: {', '.join(leaked) or 'none'}")
    for result in (ours, ref):
        outside = {name: origin for name, origin in result.import_origins.items()
                   if name != "urllib3" and not (origin or "").startswith(result.layer_dir + os.sep)}
        if outside:
            print(f"{result.name}: modules NOT imported from the layer: {outside}")


# --------------------------------------------------------------------------- main


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="warm and no-op runs per tool (median reported)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lambda-layer-bench-e2e")
    parser.add_argument("--python", dest="python_version", default="%d.%d" % sys.version_info[:2],
                        help="target Python X.Y for both tools (default: this interpreter's)")
    parser.add_argument("--fresh", action="store_true", help="recreate the reference tool's venv")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    if shutil.which("zip") is None:
        print("error: the Info-ZIP `zip` binary is not on PATH; aws-lambda-artifact-builder shells out to it "
              "(install it, e.g. `apt-get install zip`).", file=sys.stderr)
        return 2
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    env = base_env()
    try:
        arch = host_architecture()
        venv = ensure_reference_venv(workdir, args.fresh, env)
        uv = venv / "bin" / "uv"
        interpreter = find_interpreter(args.python_version, str(uv))
        env["UV_PYTHON"] = interpreter
        # So that ``pythonX.Y`` on PATH is this interpreter for both tools (ours compiles with it).
        env["PATH"] = os.path.dirname(interpreter) + os.pathsep + env.get("PATH", "")
        setup_env = dict(env, UV_CACHE_DIR=str(workdir / "cache-setup"))
        base, ours_dir, ref_dir = make_projects(workdir, uv, args.python_version, setup_env)
        runtime_names = exported_names(uv, base, setup_env, dev=False)
        dev_only = set(exported_names(uv, base, setup_env, dev=True)) - set(runtime_names)
        if "urllib3" not in runtime_names:
            raise BenchError("the lock has no urllib3; the runtime stand-in expects it (requests needs it)")
        runtime = make_runtime_dir(workdir, uv, interpreter, runtime_names["urllib3"], setup_env)

        ours = ToolResult("ours", ours_dir, workdir / "cache-ours")
        ref = ToolResult("reference", ref_dir, workdir / "cache-reference")

        def build(result: ToolResult, force: bool) -> Tuple[float, str]:
            if result is ours:
                return build_ours(result, env, args.python_version, arch, force)
            return build_reference(result, env, venv)

        for result in (ours, ref):
            rmtree(result.cache)
            rmtree(result.project / "build")
            print(f"{result.name}: cold build ...", flush=True)
            result.cold, _ = build(result, force=False)
            print(f"{result.name}: cold build {result.cold:.2f} s", flush=True)
        for index in range(args.runs):
            for result in (ours, ref):
                rmtree(result.project / "build")
                elapsed, _ = build(result, force=True)
                result.warm.append(elapsed)
                print(f"{result.name}: warm rebuild {index + 1}/{args.runs} {elapsed:.2f} s", flush=True)
        for index in range(args.runs):
            for result in (ours, ref):
                elapsed, output = build(result, force=False)
                result.noop.append(elapsed)
                if result is ours:
                    result.noop_skipped.append("up to date" in output)
                print(f"{result.name}: no-op rebuild {index + 1}/{args.runs} {elapsed:.2f} s", flush=True)
        for result in (ours, ref):
            inspect_zip(result)
        measure_imports((ours, ref), workdir, interpreter, runtime, env)
        report(ours, ref, args.runs, args.python_version, interpreter, our_uv_version(), dev_only)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as error:
        print(f"error: timed out after {error.timeout} s: {error.cmd}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
