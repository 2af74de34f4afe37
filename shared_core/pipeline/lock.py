"""One build per output at a time, and what a killed build left behind cleaned up.

Two builds writing the same folder would swap each other's staging and temporary files, so a
build holds an exclusive lock on a file in every folder it writes: the project's
``build/lambda/layer/`` and the zip's folder (one lock when the zip is in the build folder).
A second build waits for the first, saying so, and gives up with a clear message after
``LAMBDA_LAYER_LOCK_TIMEOUT`` seconds. The lock is the operating system's (``fcntl.flock`` on
POSIX, ``msvcrt.locking`` on Windows), so a killed build releases it with its process.

Once a build holds the locks no other live build can be writing those folders, so whatever
temporary files are there, named as only this tool names them, were left by a build that was
killed (SIGKILL, OOM, a CI timeout): they are removed.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import stat
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

from shared_core.errors import BuildLockError, ConfigError
from shared_core.layout import LayerPaths
from shared_core.support.reporting import Reporter
from shared_core.support.sizes import human_size
from shared_core.support.user_files import file_kind

LOCK_NAME = ".lambda-layer.lock"
TIMEOUT_VARIABLE = "LAMBDA_LAYER_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
_POLL_SECONDS = 0.1
#: Windows locks a byte range and then refuses to read it: lock a byte far past the pid we write.
_WINDOWS_LOCK_OFFSET = 1 << 20

#: What our builds create and delete again: ``tempfile`` names in the build folder (staging, the
#: ``.gitignore`` before its rename) and beside the zip (the zip and its fingerprint before theirs).
STAGING_PATTERN = ".staging-*"
TEMPORARY_PATTERNS: Tuple[str, ...] = (".layer-*.zip.tmp", ".fingerprint-*.tmp", ".manifest-*.tmp", ".report-*.tmp",
                                       ".gitignore-*.tmp")


@dataclass(frozen=True)
class Leftovers:
    """What :func:`remove_leftovers` removed."""

    paths: Tuple[Path, ...]
    size: int


def lock_timeout() -> float:
    """``LAMBDA_LAYER_LOCK_TIMEOUT`` in seconds (0: do not wait), else :data:`DEFAULT_TIMEOUT`.

    Finite only: ``nan`` compares false with every deadline and ``inf`` is one, so either would
    wait forever; ``-0`` is 0.
    """
    configured = os.environ.get(TIMEOUT_VARIABLE)
    if configured is None or not configured.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(configured)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ConfigError(f"{TIMEOUT_VARIABLE} must be a finite number of seconds (0 or more), got {configured!r}.")
    return abs(value)


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held by another process (BlockingIOError on POSIX, PermissionError on Windows)
        return False
    return True


def _holder(fd: int) -> str:
    """``pid N`` of the build holding the lock, as it wrote it; ``pid unknown`` if it has not yet."""
    try:
        text = os.pread(fd, 64, 0) if hasattr(os, "pread") else b""
    except OSError:
        text = b""
    pid = text.decode("ascii", "replace").strip()
    return f"pid {pid}" if pid.isdigit() else "pid unknown"


def _record_holder(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))


def _open_lock(lock_path: Path) -> Optional[int]:
    """The lock file, opened (created if need be); None when its folder cannot be written at all (or a
    file stands where it should be): no other build can write there either, an up-to-date layer in a
    read-only checkout still is one, and the output check names the problem in the user's terms."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # a FIFO: no wait
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, flags, 0o644)
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.EEXIST, errno.ENOTDIR):
            return None  # whatever this build tries to write there fails with its own clear message
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise BuildLockError(
            f"{lock_path} is {file_kind(mode)}, not the lock file builds keep there, and the build does not remove what "
            "it did not write. Remove it and build again."
        )
    return fd


@contextmanager
def _locked(lock_path: Path, output: Path, reporter: Reporter, deadline: float, timeout: float) -> Iterator[None]:
    fd = _open_lock(lock_path)
    if fd is None:
        yield
        return
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            reporter.info(f"Waiting for another build of {output} ({holder}) to finish...")
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise BuildLockError(
                        f"Another build of {output} ({holder}) still holds {lock_path} after {timeout:g} s. "
                        f"Let it finish (or stop it) and build again; {TIMEOUT_VARIABLE} sets how many seconds "
                        "to wait."
                    )
                time.sleep(_POLL_SECONDS)
        _record_holder(fd)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def build_lock(folders: Sequence[Path], output: Path, reporter: Reporter, timeout: Optional[float] = None) -> Iterator[None]:
    """Hold the lock of every folder in ``folders`` (in the order given, so two builds never
    deadlock), waiting up to ``timeout`` seconds (default: :func:`lock_timeout`) for each."""
    timeout = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    with ExitStack() as stack:
        for folder in dict.fromkeys(Path(folder) for folder in folders):
            stack.enter_context(_locked(folder / LOCK_NAME, output, reporter, deadline, timeout))
        yield


def _size(path: Path) -> int:
    if path.is_symlink() or not path.is_dir():
        return path.lstat().st_size
    return sum(entry.lstat().st_size for entry in path.rglob("*"))


def remove_leftovers(build_dir: Path, output_dir: Path) -> Leftovers:
    """Remove the staging folders and temporary files a killed build left; call with the locks held.

    Only this tool's own names (:data:`STAGING_PATTERN` in ``build_dir``, :data:`TEMPORARY_PATTERNS`
    there and in ``output_dir``), and a symlink is unlinked, never followed.
    """
    found: List[Path] = sorted(build_dir.glob(STAGING_PATTERN)) if build_dir.is_dir() else []
    for folder in dict.fromkeys((build_dir, output_dir)):
        if folder.is_dir():
            found += sorted(path for pattern in TEMPORARY_PATTERNS for path in folder.glob(pattern))
    removed: List[Path] = []
    size = 0
    for path in found:
        try:
            size += _size(path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue  # not ours to fight over: the build goes on, the next one tries again
        removed.append(path)
    return Leftovers(tuple(removed), size)


@contextmanager
def layer_lock(paths: LayerPaths, output: Path, reporter: Reporter) -> Iterator[None]:
    """What every build runs under: the locks of the build folder and the zip's folder, then
    the leftovers of killed builds removed (and said)."""
    with build_lock((paths.build_dir, output.parent), output, reporter):
        leftovers = remove_leftovers(paths.build_dir, output.parent)
        if leftovers.paths:
            reporter.info(
                f"Removed {len(leftovers.paths)} leftovers of an interrupted build ({human_size(leftovers.size)}): "
                + ", ".join(path.name for path in leftovers.paths)
            )
        yield
