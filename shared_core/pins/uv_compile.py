"""Resolve top-level requirements for the target with ``uv pip compile``, graph included.

What Hatch does for a project without a lock, but for the Lambda runtime instead of this machine.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional, Sequence, Set, Tuple

from ..errors import LockError
from ..indexes import NO_SETTINGS, IndexSettings, PackageIndex, all_secrets, uv_index_args, uv_index_env
from ..lambda_runtime import LambdaTarget
from ..tools import find_uv, run_tool
from .graph import DependencyGraph
from .requirements_text import exact_pins, parse_requirements_text
from .source import Resolution, requirement_name


def via_graph(compiled: str, requirements: Sequence[str]) -> DependencyGraph:
    """The graph in ``uv pip compile``'s split ``# via`` annotations; roots: the requirements given."""
    edges: Dict[str, Set[str]] = {}
    current: Optional[str] = None
    for line in compiled.splitlines():
        stripped = line.strip()
        if line and not line[0].isspace() and not stripped.startswith("#"):
            current = requirement_name(stripped)
        elif current and stripped.startswith("#"):
            parent = stripped.lstrip("#").strip()
            parent = parent[len("via"):].strip() if parent.startswith("via") else parent
            name = requirement_name(parent)
            if name and not parent.startswith("-"):
                edges.setdefault(name, set()).add(current)
    return DependencyGraph.build(filter(None, map(requirement_name, requirements)), edges)


def compile_for_target(
    requirements: Sequence[str], target: LambdaTarget, *, origin: str, cwd: Path,
    indexes: Tuple[PackageIndex, ...] = (), settings: IndexSettings = NO_SETTINGS,
) -> Resolution:
    """Resolve top-level requirements for the target with ``uv pip compile`` (hashes included),
    from ``indexes`` when a requirements file names its own (the install then uses them too)."""
    if not requirements:
        return Resolution([], indexes, None, settings)
    args = [
        find_uv(), "pip", "compile", "-", "--python-platform", target.uv_platform,
        "--python-version", target.python_version, "--no-header", "--annotation-style", "split",
        "--generate-hashes", "--quiet", *uv_index_args(settings),
    ]
    env = dict(uv_index_env(indexes, settings), UV_PYTHON_DOWNLOADS=os.environ.get("UV_PYTHON_DOWNLOADS", "never"))
    completed = run_tool(args, cwd=cwd, what=f"uv pip compile ({origin})", stdin="\n".join(requirements) + "\n",
                         extra_env=env, secrets=all_secrets(indexes))
    pins = exact_pins(parse_requirements_text(completed.stdout, origin=origin), target, origin=origin)
    if pins is None:  # pragma: no cover - uv pip compile always pins exactly
        raise LockError(f"uv pip compile did not produce exact pins for {origin}.")
    return Resolution(pins, indexes, via_graph(completed.stdout, requirements), settings)
