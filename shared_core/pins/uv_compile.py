"""Resolve requirements for the target with ``uv pip compile``, graph and indexes included.

What Hatch does for a project without a lock, but for the Lambda runtime instead of this machine:
the full Python version Lambda runs, its platform, and wheels only (sdists where ``allow-sdist``
names them), so a version is chosen only if it can be installed for the target. A project that
binds packages to its own indexes (``[tool.uv.sources]``, ``[[tool.uv.index]]``) is resolved from
its ``pyproject.toml``, where uv reads them, and each such pin stays bound to its index for the
install: never the public package of the same name.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from shared_core.errors import LayerError, LockError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.availability import missing_wheel_error, newest_with_wheel, uv_missing
from shared_core.pins.graph import DependencyGraph
from shared_core.pins.indexes import (
    NO_SETTINGS,
    IndexSettings,
    PackageIndex,
    all_secrets,
    index_from_url,
    same_index,
    uv_index_args,
    uv_index_env,
)
from shared_core.pins.requirements_text import exact_pins, parse_requirements_text, requested_extras
from shared_core.pins.source import Resolution, requirement_name
from shared_core.support.names import normalize_name
from shared_core.support.reporting import mask_credentials
from shared_core.support.toolchain import failure_message, find_uv, run_tool


@dataclass(frozen=True)
class CompileInput:
    """What to resolve: requirement lines, or a project's ``pyproject.toml`` (with its extras)."""

    requirements: Tuple[str, ...] = ()
    pyproject: Optional[Path] = None
    extras: Tuple[str, ...] = ()
    #: The indexes the project declares (``[[tool.uv.index]]``): a pin resolved from one stays bound to it.
    project_indexes: Tuple[PackageIndex, ...] = field(default=())

    def args(self) -> List[str]:
        if self.pyproject is None:
            return ["-"]
        return [str(self.pyproject), *(arg for extra in self.extras for arg in ("--extra", extra))]

    def stdin(self) -> Optional[str]:
        return "\n".join(self.requirements) + "\n" if self.pyproject is None else None


@dataclass
class Annotation:
    """What ``uv pip compile`` says of one pin: who required it and the index it came from."""

    parents: Set[str] = field(default_factory=set)
    index: Optional[str] = None
    #: Required by an input file itself (``# via proj (pyproject.toml)``).
    direct: bool = False


def annotations(compiled: str) -> Dict[str, Annotation]:
    """``{pin name: its "# via" parents and "# from" index}`` from ``uv pip compile``'s split annotations."""
    found: Dict[str, Annotation] = {}
    current: Optional[str] = None
    for line in compiled.splitlines():
        stripped = line.strip()
        if line and not line[0].isspace() and not stripped.startswith("#"):
            current = requirement_name(stripped)
            if current:
                found[current] = Annotation()
        elif current and stripped.startswith("#"):
            text = stripped.lstrip("#").strip()
            if text.startswith("from "):
                found[current].index = index_from_url("", text[len("from "):].strip(), default=False).url  # no password
                continue
            parent = text[len("via"):].strip() if text.startswith("via") else text
            name = requirement_name(parent)
            if "(" in parent:
                found[current].direct = True
            elif name and not parent.startswith("-"):
                found[current].parents.add(name)
    return found


def via_graph(compiled: str, requirements: Sequence[str]) -> DependencyGraph:
    """The graph in ``uv pip compile``'s split ``# via`` annotations; roots: the requirements given."""
    return _graph(annotations(compiled), [name for name in map(requirement_name, requirements) if name])


def _graph(found: Mapping[str, Annotation], roots: Sequence[str]) -> DependencyGraph:
    edges: Dict[str, Set[str]] = {}
    for child, annotation in found.items():
        for parent in annotation.parents:
            edges.setdefault(parent, set()).add(child)
    return DependencyGraph.build(roots, edges)


def binary_only_args(names: Optional[Sequence[str]]) -> List[str]:
    """uv's ``--only-binary``: for every package (``None``), else for each of ``names``."""
    if names is None:
        return ["--only-binary", ":all:"]
    return [arg for name in names for arg in ("--only-binary", name)]


@dataclass(frozen=True)
class _Compiler:
    """One target's ``uv pip compile`` with its indexes: run on an input, get (exit code, stdout, stderr)."""

    target: LambdaTarget
    origin: str
    cwd: Path
    env: Mapping[str, str]
    settings: IndexSettings
    secrets: Tuple[str, ...]

    def run(self, what: CompileInput, binary_only: Optional[Sequence[str]] = None) -> Tuple[int, str, str]:
        args = [
            # --python: the interpreter uv would otherwise search for (most of a second); it only runs builds
            find_uv(), "pip", "compile", *what.args(), "--python", sys.executable, "--python-platform", self.target.uv_platform,
            "--python-version", self.target.python_full_version, "--no-header", "--annotation-style", "split",
            "--emit-index-annotation", "--generate-hashes", "--quiet", *uv_index_args(self.settings),
            *binary_only_args(binary_only),
        ]
        completed = run_tool(args, cwd=self.cwd, what=f"uv pip compile ({self.origin})", stdin=what.stdin(),
                             extra_env=self.env, secrets=self.secrets, check=False)
        return completed.returncode, completed.stdout, completed.stderr

    def every_missing(self, what: CompileInput, missing: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
        """uv names one pin without a wheel at a time: leave those out and resolve again to find the
        others (requirement lines only; a pyproject.toml is not edited)."""
        found = list(missing)
        while what.pyproject is None:
            names = {normalize_name(name) for name, _ in found}
            rest = tuple(line for line in what.requirements if normalize_name(requirement_name(line) or "") not in names)
            code, _, errors = self.run(replace(what, requirements=rest)) if rest else (0, "", "")
            more = [item for item in uv_missing(errors) if normalize_name(item[0]) not in names]
            if code == 0 or not more:
                break
            found += more
        return sorted(found, key=lambda item: normalize_name(item[0]))

    def failure(self, what: CompileInput, code: int, errors: str) -> LayerError:
        """Pins without a wheel, each with the newest release that has one; else uv's own reasons."""
        missing = uv_missing(errors)
        if missing:
            missing = self.every_missing(what, missing)
            newest = {name: newest_with_wheel(name, self.target, env=self.env, args=uv_index_args(self.settings),
                                              cwd=self.cwd, secrets=self.secrets) for name, _ in missing}
            return missing_wheel_error(missing, self.target, newest=newest)
        hint = _RESOLVE_HINT if "No solution found" in errors else ""
        return LockError(failure_message(f"uv pip compile ({self.origin})", code, errors, self.secrets) + hint,
                         details=mask_credentials(errors, self.secrets))


def compile_for_target(
    what: CompileInput, target: LambdaTarget, *, origin: str, cwd: Path,
    indexes: Tuple[PackageIndex, ...] = (), settings: IndexSettings = NO_SETTINGS, allow_sdist: Sequence[str] = (),
) -> Resolution:
    """Resolve ``what`` for the target with ``uv pip compile`` (hashes included), from ``indexes`` when
    a requirements file names its own (the install then uses them too).

    Wheels only, so every version chosen can be installed for the target. With ``allow-sdist``, a
    resolution that needs an sdist is redone with every package but the allowed ones bound to wheels.
    """
    if what.pyproject is None and not what.requirements:
        return Resolution([], indexes, None, settings)
    env = dict(uv_index_env(indexes, settings), UV_PYTHON_DOWNLOADS=os.environ.get("UV_PYTHON_DOWNLOADS", "never"))
    known = (*indexes, *what.project_indexes)
    compiler = _Compiler(target, origin, cwd, env, settings, all_secrets(known))
    code, compiled, errors = compiler.run(what)
    if code != 0 and allow_sdist:
        code, compiled, errors = compiler.run(what, ())
        if code == 0:
            allowed = {normalize_name(name) for name in allow_sdist}
            code, compiled, errors = compiler.run(what, [name for name in annotations(compiled) if normalize_name(name) not in allowed])
    if code != 0:
        raise compiler.failure(what, code, errors)
    lines = parse_requirements_text(compiled, origin=origin)
    pins = exact_pins(lines, target, origin=origin, base=cwd)
    if pins is None:  # pragma: no cover - uv pip compile always pins exactly
        raise LockError(f"uv pip compile did not produce exact pins for {origin}.")
    found = annotations(compiled)
    bound = {normalize_name(name): annotation.index for name, annotation in found.items()
             if annotation.index and any(same_index(annotation.index, index.url) for index in what.project_indexes)}
    pins = [replace(pin, index=bound[pin.normalized_name]) if pin.path is None and pin.normalized_name in bound else pin
            for pin in pins]
    if what.pyproject is not None:
        roots = sorted(name for name, annotation in found.items() if annotation.direct)
    else:
        roots = [name for name in (requirement_name(line) for line in what.requirements) if name]
    return Resolution(
        pins, indexes, _graph(found, roots), settings, known_indexes=known,
        extras=requested_extras(parse_requirements_text("\n".join(what.requirements), origin=origin)),
        named=frozenset(normalize_name(name) for name in roots),
    )


#: Said after a failed resolution: what the user can change.
_RESOLVE_HINT = (
    "\nVersions are chosen for the target runtime from wheels only; a requirement that no release with a "
    "wheel for the target satisfies fails here. Relax or change that requirement, pick another target, or, "
    "for a pure-Python package, allow its sdist with `allow-sdist`."
)
