"""Walk a staged tree into a sorted list of regular files, resolving symlinks safely.

A link to a file inside the tree is packed as that file, under the link's name (``libfoo.so``
-> ``libfoo.so.1``: loaders need both names). A link to a directory inside the tree is not
followed: that directory is packed once, under its own (canonical) path, whatever order
``os.scandir`` lists them in. A link that leaves the tree would pack some other part of the
build machine, so it is an error naming the link.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

from shared_core.errors import SymlinkEscapeError


@dataclass(frozen=True)
class StagedFile:
    relpath: str  # posix, relative to the tree root
    source: Path  # the regular file holding the bytes
    size: int
    executable: bool


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def walk_tree(root: Path) -> List[StagedFile]:
    """Every regular file below ``root`` (following in-tree links), sorted by relative path."""
    real_root = os.path.realpath(root)
    found: Dict[str, StagedFile] = {}

    def visit_dir(directory: str, prefix: str) -> None:
        # Links to directories are skipped below, so each real directory is reached once, by its own path.
        with os.scandir(directory) as entries:
            for entry in entries:
                relpath = f"{prefix}{entry.name}"
                path = entry.path
                if entry.is_symlink():
                    target = os.path.realpath(path)
                    if not _inside(target, real_root):
                        raise SymlinkEscapeError(
                            f"{path} is a symbolic link to {target}, outside the staged tree {root}. "
                            "A layer must not pack files from elsewhere on the machine: replace the link "
                            "with the file itself or remove it, then build again."
                        )
                    if not os.path.exists(target):
                        raise SymlinkEscapeError(f"{path} is a broken symbolic link (to {target}). Remove it and build again.")
                    if os.path.isdir(target):
                        continue  # an alias: the directory is packed under its real path (the walk reaches it)
                    path = target
                info = os.stat(path)
                if stat.S_ISDIR(info.st_mode):
                    visit_dir(path, relpath + "/")
                elif stat.S_ISREG(info.st_mode):
                    executable = bool(info.st_mode & 0o111)
                    found[relpath] = StagedFile(relpath, Path(path), info.st_size, executable)

    visit_dir(str(root), "")
    return [found[key] for key in sorted(found)]
