"""Walk a staged tree into a sorted list of regular files, resolving symlinks safely (and hash them once).

A link to a file inside the tree is packed as that file, under the link's name (``libfoo.so``
-> ``libfoo.so.1``: loaders need both names). A link to a directory inside the tree is not
followed: that directory is packed once, under its own (canonical) path, whatever order
``os.scandir`` lists them in. A link that leaves the tree would pack some other part of the
build machine, so it is an error naming the link.
"""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from shared_core.errors import SymlinkEscapeError
from shared_core.support.digests import file_sha256


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


def tree_digests(files: Sequence[StagedFile], known: Optional[Callable[[Path], Optional[str]]] = None) -> Dict[str, str]:
    """``{relpath: hex sha256}`` of ``files``, hashed once for all that need them (the rewritten
    RECORDs, the import check's key); ``known`` gives a file's digest when it was already read."""
    digests: Dict[str, str] = {}
    missing: List[StagedFile] = []
    for staged in files:
        digest = known(staged.source) if known is not None else None
        if digest is None:
            missing.append(staged)
        else:
            digests[staged.relpath] = digest
    with ThreadPoolExecutor(os.cpu_count(), thread_name_prefix="tree-hash") as pool:  # hashlib releases the GIL; one per core
        digests.update(zip((staged.relpath for staged in missing), pool.map(lambda staged: file_sha256(staged.source), missing)))
    return digests
