"""Local distributions in a pin set: workspace members, path dependencies, ``name @ file://`` lines.

They are installed as regular (non-editable) distributions built from the path they name, never
as an index package of the same name. Their content is part of the build's inputs (see
:func:`local_digest`): a changed source file rebuilds the layer.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple
from urllib.parse import unquote, urlsplit

from shared_core.errors import LockError
from shared_core.pins.model import Pin
from shared_core.support.user_files import read_user_toml

#: Folders that hold build output, environments, VCS data or editor state, not a project's source.
NOT_SOURCE = frozenset((".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "build", "dist", "node_modules",
                        ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea", ".vscode"))


def path_from_reference(reference: str, base: Path) -> Optional[Path]:
    """The local path a requirement's reference names (``file:///x``, ``./x``, ``../x``, ``/x``), else None."""
    reference = reference.strip()
    if reference.startswith("file:"):
        parts = urlsplit(reference)
        return Path(unquote(parts.path))
    if "://" in reference:
        return None
    if reference.startswith((".", "/", "~")) or os.sep in reference or "/" in reference:
        return (base / Path(reference).expanduser()).resolve()
    return None


def _project_table(directory: Path, origin: str) -> Mapping[str, Any]:
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    _, data = read_user_toml(pyproject, error=LockError, fix=f"Fix the local project {directory} named by {origin}.")
    project = data.get("project", {})
    return project if isinstance(project, Mapping) else {}


def _wheel_name_version(path: Path) -> Tuple[str, str]:
    """``name-1.0-py3-none-any.whl`` -> (name, 1.0); sdists ``name-1.0.tar.gz`` likewise."""
    stem = path.name[: -len(".tar.gz")] if path.name.endswith(".tar.gz") else path.stem
    name, _, rest = stem.partition("-")
    return name, rest.split("-", 1)[0]


def local_pin(name: Optional[str], path: Path, *, origin: str) -> Pin:
    """A pin for the local distribution at ``path`` (a project directory, a wheel or an sdist)."""
    if not path.exists():
        raise LockError(
            f"{origin} names the local distribution {path}, which does not exist. Fix the path (relative paths "
            f"are relative to the file that names them) or remove the dependency."
        )
    if path.is_file():
        if not path.name.endswith((".whl", ".tar.gz", ".zip")):
            raise LockError(f"{origin} names {path}, which is neither a project directory nor a wheel or sdist.")
        found, version = _wheel_name_version(path)
        return Pin(name or found, version, path=path)
    project = _project_table(path, origin)
    declared = project.get("name") if isinstance(project.get("name"), str) else None
    version = project.get("version") if isinstance(project.get("version"), str) else ""
    if name is None and declared is None:
        raise LockError(
            f"{origin} names the local project {path}, but its name is unknown (no pyproject.toml with "
            "[project].name). Write the line as `NAME @ file:///absolute/path` so the layer knows which "
            "distribution it is."
        )
    if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
        raise LockError(
            f"{origin} names {path}, which is not a Python project (no pyproject.toml or setup.py). Point it "
            "at the project's directory."
        )
    return Pin(name or str(declared), version, path=path)


def local_digest(path: Path) -> str:
    """The digest of a local distribution's source: every file outside build output and environments,
    by relative path and content (a wheel or sdist: its bytes), for the build's fingerprint."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest()
    for directory, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in NOT_SOURCE and not d.endswith(".egg-info"))
        for name in sorted(files):
            file = Path(directory, name)
            if file.is_symlink() or not file.is_file():
                continue
            digest.update(file.relative_to(path).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()
