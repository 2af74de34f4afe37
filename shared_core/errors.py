"""Typed errors: each carries the one paragraph a user should read, never a traceback."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Optional


class LayerError(Exception):
    """Base of every error the pipeline raises on purpose.

    ``str(error)`` is the complete user-facing message: what went wrong, where (file, key or
    package) and how to fix it. Adapters print it as-is and exit 1. ``details`` (credentials
    already masked) is what verbose output adds, e.g. an installer's whole output.
    """

    def __init__(self, message: str = "", *, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class ConfigError(LayerError):
    """A key of ``[tool.lambda-layer]`` (or the Hatch target table) or an option is invalid."""


class SourceDateEpochError(ConfigError, ValueError):
    """``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds."""


class LockError(LayerError):
    """The pin source (poetry.lock, uv.lock, requirements.txt) is missing, stale or unreadable."""


class UnsupportedTargetError(ConfigError):
    """The Python version or architecture is not a Lambda runtime."""


class InstallError(LayerError):
    """The installer (uv or pip) failed for a reason other than a missing wheel."""


class MissingWheelError(InstallError):
    """Some pinned distributions have no wheel for the target runtime."""


class PlatformMismatchError(LayerError):
    """An installed wheel tag or shared object does not match the target runtime."""


class IncompleteLayerError(LayerError):
    """A kept distribution requires one the layer lacks, or another version of one it has."""


class InvalidPythonError(LayerError):
    """A module does not compile with the target's Python (``allow-invalid-python`` ships it anyway)."""


class LayoutError(LayerError):
    """The staged packages are not where the build tool's layout says they are."""


class SymlinkEscapeError(LayerError):
    """A symbolic link in the staged tree points outside it."""


class SizeLimitError(LayerError):
    """The layer is larger than Lambda accepts."""


class PackageTestsError(LayerError):
    """Leaving out the packages' test suites (drop-package-tests) would break an import."""


class PublishError(LayerError):
    """Uploading or publishing the layer failed: AWS credentials, Region, permissions, bucket, or boto3."""


class OutputError(LayerError):
    """The layer cannot be written where ``output`` (or ``--output``) points."""


class EmptyLayerError(LayerError):
    """The build would give a layer without a single file (Lambda refuses an empty zip)."""


class TargetsFailedError(LayerError):
    """Some of several targets failed to build: one paragraph per target, under its name."""


class BuildLockError(LayerError):
    """Another build of the same output did not finish in time."""


def _os_error_message(error: OSError) -> str:
    """One paragraph for an OSError: the path it concerns, what happened, and what to do."""
    where = " -> ".join(str(name) for name in (error.filename, error.filename2) if name is not None)
    where = where or "a file of the build"
    what = error.strerror or str(error) or type(error).__name__
    code = error.errno
    if code in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)):
        fix = ("Free space on that disk or raise the file size limit (or point `output` / --output at another "
               "disk) and build again; a zip that could not be written leaves the previous one as it was.")
    elif code == errno.EROFS:
        fix = "That file system is read-only: build from a writable copy of the project, or point `output` (--output) elsewhere."
    elif code in (errno.EACCES, errno.EPERM):
        fix = ("Give this user access to it and its folder (the project's build/ folder and the output's folder must "
               "be writable), or point `output` (--output) at a writable place.")
    elif code == errno.EISDIR:
        fix = "A directory is in the way of a file the build reads or writes: remove or rename it."
    elif code in (errno.ENOTDIR, errno.EEXIST):
        fix = "A file is in the way of a directory the build needs: remove or rename it, or choose another `output`."
    else:
        fix = "Check that path and build again."
    return f"{what}: {where}. {fix}"


def user_error(error: BaseException) -> Optional[LayerError]:
    """The one-paragraph error for a failure the user can fix, or None for a bug in this tool.

    Every entry point (console script, Poetry command, Hatch builder) calls this for an
    exception that is not a :class:`LayerError`: the file system's errors (disk full, read-only
    folder, permissions, a directory where a file belongs) and undecodable text become a
    message naming the path and the fix; anything else is a bug and keeps its traceback.
    """
    if isinstance(error, LayerError):
        return error
    if isinstance(error, OSError):
        return LayerError(_os_error_message(error))
    if isinstance(error, UnicodeDecodeError):  # our readers name the file; this is the fallback
        return LayerError(
            f"A file the build read is not UTF-8 text ({error.reason} at byte {error.start}). Check that "
            "pyproject.toml, the lock file and the requirements file are text, then build again."
        )
    return None


@dataclass(frozen=True)
class Failure:
    """How an entry point ends a command that failed: the paragraph, what ``-v`` adds, the exit status."""

    message: str
    details: str = ""
    exit_code: int = 1


#: Said when Ctrl-C stops a build, and a publish (which, run again, finds what it already published).
INTERRUPTED_BUILD = "Interrupted; the previous layer zip (if any) is unchanged."
INTERRUPTED_PUBLISH = "Interrupted; run the command again to finish: a version already published is found unchanged."


def failure_of(error: BaseException, *, publishing: bool = False) -> Optional[Failure]:
    """The failure to show for ``error``, the same in every entry point; None for a bug in this tool
    (the entry point then shows its traceback the way its tool does)."""
    if isinstance(error, KeyboardInterrupt):
        return Failure(INTERRUPTED_PUBLISH if publishing else INTERRUPTED_BUILD, exit_code=130)
    user = user_error(error)
    return None if user is None else Failure(str(user), user.details)
