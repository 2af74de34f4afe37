"""A function's own files, for a project without packaging: chosen by globs, staged as they are.

Lambda puts the function's code at ``/var/task``, first on ``sys.path``: the files keep their paths
relative to the project (``handler.py`` imports as ``handler``, ``app/main.py`` as ``app.main``). Only
regular files inside the project are taken, never build output, environments, VCS data or caches,
and never through a symlink that leaves the project.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from shared_core.errors import ConfigError
from shared_core.install.commands import Progress
from shared_core.install.staging import LayerInstallResult, stage_tree
from shared_core.lambda_runtime import LambdaTarget
from shared_core.layout import LayerPaths
from shared_core.pins.local import NOT_SOURCE
from shared_core.settings.layer import LayerConfig
from shared_core.support.reporting import Reporter
from shared_core.support.sizes import count_of


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


def select_files(root: Path, patterns: Sequence[str], label: str) -> Tuple[str, ...]:
    """The project's files (posix paths relative to ``root``) that ``patterns`` match, sorted; none is an
    error naming ``label`` (the setting, as the user gave it). ``*`` stays in one folder, ``**`` crosses them."""
    root = root.resolve()
    found: List[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(name for name in dirs if name not in NOT_SOURCE and not name.endswith(".egg-info"))
        for name in sorted(files):
            path = Path(directory, name)
            relative = path.relative_to(root).as_posix()
            if any(_matches(relative, pattern) for pattern in patterns) and path.is_file() and _inside(path, root):
                found.append(relative)
    if not found:
        raise ConfigError(
            f"{label} ({', '.join(patterns)}) matches no file in {root}. List the function's files as globs relative "
            "to the project (handler.py, app/**/*.py), or give the project a build backend so its wheel is used."
        )
    return tuple(sorted(found))


def _matches(relative: str, pattern: str) -> bool:
    """``fnmatch`` where ``*`` does not cross a ``/`` and ``**/`` matches any number of folders."""
    parts, pattern_parts = relative.split("/"), pattern.strip("/").split("/")
    return _match_parts(parts, pattern_parts)


def _match_parts(parts: List[str], pattern: List[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(parts[index:], pattern[1:]) for index in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match_parts(parts[1:], pattern[1:])


def files_digest(root: Path, files: Sequence[str]) -> str:
    """What the function's files are: each path and its content (the build's fingerprint input)."""
    digest = hashlib.sha256()
    for relative in files:
        digest.update(relative.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256((root / relative).read_bytes()).digest())
    return digest.hexdigest()


def stage_files(paths: LayerPaths, config: LayerConfig, project_root: Path, files: Sequence[str], target: LambdaTarget,
                interpreter: Optional[str], reporter: Reporter) -> LayerInstallResult:
    """Copy ``files`` into the staging folder, audit them for ``target`` and compile their bytecode."""

    def copy(staged: Path, scratch: Path, progress: Optional[Progress]) -> str:
        for relative in files:
            destination = staged / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(project_root / relative, destination)
        return f"files: {count_of(len(files), 'file')} of the project"

    root, bytecode = stage_tree(paths, config, target, interpreter, reporter, copy)
    return LayerInstallResult(target, "the project's files", (), (), root, (), bytecode, interpreter)
